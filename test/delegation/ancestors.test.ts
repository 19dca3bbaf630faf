// The runs above a run, read once for both the chain's demotion and the inherited manager
// (src/delegation/ancestors.ts): parent first, each read once, stopping at a parent that is gone.
// A real SQLite store, counting its run reads.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { ancestorRuns } from '../../src/delegation/ancestors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunRecord, Store } from '../../src/store/types.js';
import { newRun, step } from '../contract/store.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-ancestors-');
const store: Store = openSqliteStore({ path: join(tmp.path, 'nightshift.db') });
after(async () => {
  await store.close();
  tmp.cleanup();
});

async function create(over: Partial<RunRecord>): Promise<RunRecord> {
  const run = newRun(over);
  await store.createRun(run, { steps: [step(run.id, 1, 'run_started', {})], at: run.createdAt });
  return run;
}

it('lists the ancestors parent first, reading each run once, and stops at a parent that is gone', async () => {
  await store.init();
  const top = await create({ role: 'top' });
  const mid = await create({ role: 'mid', parentRunId: top.id });
  const bot = await create({ role: 'bot', parentRunId: mid.id });
  let reads = 0;
  const counting = {
    getRun: (id: string) => {
      reads++;
      return store.getRun(id);
    },
  };
  assert.deepEqual(
    (await ancestorRuns(counting, bot)).map((r) => r.role),
    ['mid', 'top'],
  );
  assert.equal(reads, 2);
  const orphan = await create({ role: 'orphan', parentRunId: 'run_gone' });
  assert.deepEqual(await ancestorRuns(store, orphan), []);
  assert.deepEqual(await ancestorRuns(store, top), []);
});
