// A running `nightshift serve` picks up a promotion without a restart: a run started after `promote` uses
// the new active version, a run in flight keeps the version it started with, and `rollback` brings the
// previous one back, all while the same serve process keeps running.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunRecord, Store } from '../../src/store/types.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

describe('serve and promotions', () => {
  const r = writeTestRole({
    name: 'promo-bot',
    autonomy: 'draft',
    tools: ['fs.write'],
    ledgerTools: false,
    // Version one drafts a write (the run waits for approval), then answers "v1".
    turns: [{ call: 'fs.write', args: { path: 'v1.txt', content: 'one' } }, { final: { summary: 'v1' } }],
    extra: { triggers: [{ event: 'promo.go' }] },
  });
  let served: Served;
  let store: Store;
  const data = ['--data-dir', r.dataDir];

  before(async () => {
    served = await startServe([r.dir, '--port', '0', '--poll-ms', '20', ...data]);
    store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
  });
  after(async () => {
    served.child.kill('SIGKILL');
    await store.close();
    r.cleanup();
  });

  async function emit(): Promise<string> {
    const res = await runCli([
      'emit',
      'promo.go',
      '{}',
      '--url',
      served.url,
      '--token',
      served.token,
      '--json',
    ]);
    assert.equal(res.code, 0, res.stderr);
    return json<{ runs: { runId: string }[] }>(res).runs[0]!.runId;
  }
  const settled = (id: string, status: RunRecord['status']) =>
    waitFor(
      async () => {
        const run = await store.getRun(id);
        return run?.status === status ? run : undefined;
      },
      `run ${id} ${status}`,
      60_000,
    );

  it('starts runs of the new active version after promote, keeps runs in flight on theirs, and rolls back', async () => {
    const inFlight = await settled(await emit(), 'awaiting_approval');
    const v1 = inFlight.roleVersion;

    // Version two: another script and new instructions (neutral: the same authority).
    writeFileSync(join(r.dir, 'script2.yaml'), stringify({ turns: [{ final: { summary: 'v2' } }] }));
    const spec = parse(readFileSync(r.file, 'utf8'));
    writeFileSync(
      r.file,
      stringify({ ...spec, model: 'script:./script2.yaml', instructions: 'Version two.' }),
    );
    const listed = await runCli(['versions', r.file, '--json', ...data]);
    assert.equal(listed.code, 0, listed.stderr);
    const v2 = json<{ versions: { version: string }[] }>(listed).versions.find(
      (v) => v.version !== v1,
    )!.version;

    // The file changed, nothing was promoted yet: the file still runs (today's behaviour).
    const promoted = await runCli([
      'promote',
      'promo-bot',
      v2,
      '--as',
      'alice',
      '--evidence',
      'eval ev_1',
      ...data,
    ]);
    assert.equal(promoted.code, 0, promoted.stderr);
    assert.match(promoted.stdout, new RegExp(`active version is now ${v2}`));

    const after = await settled(await emit(), 'succeeded');
    assert.equal(after.roleVersion, v2);
    assert.deepEqual(after.output, { summary: 'v2' });

    // The run in flight goes on with the version it started with.
    const [approval] = await store.listApprovals({ runId: inFlight.id });
    const approved = await runCli(['approve', approval!.id, '--as', 'alice', ...data]);
    assert.equal(approved.code, 0, approved.stderr);
    const finished = await settled(inFlight.id, 'succeeded');
    assert.equal(finished.roleVersion, v1);
    assert.deepEqual(finished.output, { summary: 'v1' });

    const back = await runCli(['rollback', 'promo-bot', '--as', 'alice', ...data]);
    assert.equal(back.code, 0, back.stderr);
    const again = await settled(await emit(), 'awaiting_approval');
    assert.equal(again.roleVersion, v1);

    assert.equal(served.child.exitCode, null, 'the same serve process all along');
    const actions = (await store.listAudit({ limit: 1000 }))
      .filter((e) => e.target === 'promo-bot' && e.action.startsWith('role.version_'))
      .map((e) => [e.action, e.actor]);
    assert.deepEqual(actions.slice(-2), [
      ['role.version_promoted', 'alice'],
      ['role.version_rolled_back', 'alice'],
    ]);
  });
});
