// A store given to createRuntime({ store }) is the caller's: a runtime closes only what it opened. Two
// runtimes sharing one store object, the second's close leaves the first working; the store is still
// open for its owner after both closed.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createRuntime, defineRole, NightshiftError } from '../../src/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-given-store-'));
  writeFileSync(join(dir, 'r.script.yaml'), 'turns:\n  - final: done\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const role = () =>
  defineRole(
    { name: 'r', description: 'd', autonomy: 'full', model: 'script:r.script.yaml', instructions: 'i' },
    { dir },
  );

test('two runtimes sharing a given store: closing one leaves the other and the store working', async () => {
  const store = openSqliteStore({ dataDir: join(dir, 'data') });
  const first = await createRuntime({ store });
  const second = await createRuntime({ store });
  try {
    assert.equal((await second.run(role(), {})).status, 'succeeded');
    await second.close();
    // The second runtime is closed (its own methods refuse), the store it was lent is not.
    await assert.rejects(second.list(), (e) => NightshiftError.isInstance(e) && e.code === 'RUNTIME_CLOSED');
    const after = await first.run(role(), {});
    assert.equal(after.status, 'succeeded', 'the first runtime goes on after the second closed');
    assert.equal((await first.list()).length, 2);
    await first.close();
    // Both closed; the owner's store still answers, until its owner closes it.
    assert.equal((await store.listRuns({ limit: 10 })).length, 2);
  } finally {
    await first.close();
    await second.close();
    await store.close();
  }
});
