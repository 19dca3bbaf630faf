// A version promoted while `nightshift serve --workers 2` runs declares a new secret: a run of it executed
// by the forked worker-only child reads that secret (set in the environment serve started with), never
// a secret another role declares, and the value appears nowhere in the log; a version that declares a
// secret set nowhere fails its run with SECRET_NOT_SET naming it, instead of running without it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { fixtures } from '../support/paths.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { versionWriter } from '../support/versions.js';
import { waitFor } from '../support/wait.js';

const PROBE_VALUE = 'probe-secret-value-5f0c2a91';
const OTHER_VALUE = 'other-role-secret-value-77d1e3';
const FILE_VALUE = 'file-secret-value-c4e9b802';
const LEDGER = 'ledger.append_once';

describe('serve --workers 2 and the secrets of a promoted version', () => {
  const made: TestRole[] = [];
  /** A role whose runs wait in their tool (hold `hold`) until released: it fills one process's only slot. */
  const held = (name: string, hold: string, extra: Record<string, unknown> = {}) => {
    const r = writeTestRole({
      name,
      autonomy: 'full',
      tools: [LEDGER],
      turns: [{ call: LEDGER, args: { entry: name, hold } }, { final: { summary: 'ok' } }],
      extra: { triggers: [{ event: name }], ...extra },
    });
    made.push(r);
    return r;
  };
  // held-a declares OTHER_TOKEN: the probe role must never read it.
  const a = held('held-a', 'a', { secrets: ['OTHER_TOKEN'] });
  const b = held('held-b', 'b');
  const probe = writeTestRole({
    name: 'probe-bot',
    autonomy: 'full',
    tools: ['probe.secrets'],
    ledgerTools: false,
    turns: [
      { call: 'probe.secrets', args: { names: ['PROBE_TOKEN', 'FILE_TOKEN', 'OTHER_TOKEN', 'UNSET_TOKEN'] } },
      { final: { summary: 'probed' } },
    ],
    extra: { toolModules: [fixtures('tools', 'secret-probe.ts')], triggers: [{ event: 'probe-bot' }] },
  });
  made.push(probe);
  const data = ['--data-dir', a.dataDir];
  let served: Served;
  let store: Store;

  before(async () => {
    served = await startServe(
      [
        a.dir,
        b.dir,
        probe.dir,
        '--port',
        '0',
        '--poll-ms',
        '20',
        '--workers',
        '2',
        '--concurrency',
        '1',
        ...data,
      ],
      { env: { PROBE_TOKEN: PROBE_VALUE, OTHER_TOKEN: OTHER_VALUE } },
    );
    store = openSqliteStore({ dataDir: a.dataDir });
    await store.init();
  });
  after(async () => {
    // Released whatever happened, so a held run cannot keep serve from stopping.
    writeFileSync(join(a.workspace, 'release-a'), '');
    writeFileSync(join(b.workspace, 'release-b'), '');
    served.child.kill('SIGTERM');
    await served.done;
    await store.close();
    for (const r of made) r.cleanup();
  });

  async function emit(event: string): Promise<string> {
    const res = await fetch(`${served.url}/events/${event}`, {
      method: 'POST',
      headers: { ...served.auth, 'content-type': 'application/json' },
      body: '{}',
    });
    const body = (await res.json()) as { runs: { runId: string }[] };
    assert.equal(res.status, 202, JSON.stringify(body));
    return body.runs[0]!.runId;
  }
  const settled = (id: string) =>
    waitFor(
      async () => {
        const run = await store.getRun(id);
        return run && ['succeeded', 'failed'].includes(run.status) ? run : undefined;
      },
      `run ${id} to finish`,
      60_000,
    );
  /** The pid of the process whose run of a held role reached its tool. */
  const holder = (r: TestRole, hold: string) =>
    waitFor(async () => {
      const file = join(r.workspace, `reached-${hold}`);
      return existsSync(file) ? Number(readFileSync(file, 'utf8')) || undefined : undefined;
    }, `${hold} held`);
  const probes = (): { pid: number; seen: Record<string, string> }[] =>
    existsSync(join(probe.workspace, 'probe.jsonl'))
      ? readFileSync(join(probe.workspace, 'probe.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : [];

  const versions = versionWriter(probe.file, data);
  /** A new version of probe-bot with these secrets (and instructions, so each is new), registered. */
  const version = (secrets: string[], instructions: string, more: object = {}) =>
    versions.next({ secrets, instructions, ...more });
  /** A new secret widens authority: the promotion waits for a person, who grants it. */
  async function promote(v: string): Promise<void> {
    const promoted = await runCli(['promote', 'probe-bot', v, '--as', 'alice', '--json', ...data]);
    const result = json<{ promotion: { id: string }; outcome: string }>(promoted);
    assert.equal(result.outcome, 'pending', 'a new secret is a widening');
    const granted = await runCli(['approve', result.promotion.id, '--as', 'alice', ...data]);
    assert.equal(granted.code, 0, granted.stderr);
  }

  it('gives the child’s run of the promoted version its new secret, no other role’s, and logs no value', async () => {
    const parent = served.child.pid!;
    const v1 = await version([], 'Do what the test says.');
    const first = await settled(await emit('probe-bot'));
    assert.equal(first.status, 'succeeded');
    assert.equal(first.roleVersion, v1);
    assert.deepEqual(probes()[0]!.seen, {
      PROBE_TOKEN: 'undeclared',
      FILE_TOKEN: 'undeclared',
      OTHER_TOKEN: 'undeclared',
      UNSET_TOKEN: 'undeclared',
    });

    // v2 declares PROBE_TOKEN (in the environment serve started with) and FILE_TOKEN, from a secrets file
    // written only now, long after serve and its child started.
    writeFileSync(join(probe.dir, 'probe.env'), `FILE_TOKEN=${FILE_VALUE}\n`);
    const v2 = await version(['PROBE_TOKEN', 'FILE_TOKEN'], 'Version two: may read two secrets.', {
      secretsFile: './probe.env',
    });
    await promote(v2);

    // Fill the parent's only slot, so the child (one slot too) is the process that runs probe-bot.
    const heldA = await emit('held-a');
    let child = await holder(a, 'a');
    if (child === parent) {
      // held-a is in the parent: the child is free.
      child = 0;
    } else {
      // held-a is in the child: hold the parent with held-b, then free the child.
      await emit('held-b');
      assert.equal(await holder(b, 'b'), parent, 'held-b is in the parent');
      writeFileSync(join(a.workspace, 'release-a'), '');
      assert.equal((await settled(heldA)).status, 'succeeded');
    }
    const run = await settled(await emit('probe-bot'));
    assert.equal(run.status, 'succeeded', JSON.stringify(run.error));
    assert.equal(run.roleVersion, v2);
    const seen = probes()[1]!;
    assert.notEqual(seen.pid, parent, 'the worker-only child ran it');
    if (child) assert.equal(seen.pid, child);
    assert.deepEqual(seen.seen, {
      PROBE_TOKEN: 'set',
      FILE_TOKEN: 'set',
      OTHER_TOKEN: 'undeclared',
      UNSET_TOKEN: 'undeclared',
    });
    writeFileSync(join(a.workspace, 'release-a'), '');
    writeFileSync(join(b.workspace, 'release-b'), '');

    // v3 declares a secret set nowhere: its run fails, naming it, and does not reach its tool.
    const v3 = await version(
      ['PROBE_TOKEN', 'FILE_TOKEN', 'UNSET_TOKEN'],
      'Version three: also UNSET_TOKEN.',
      {
        secretsFile: './probe.env',
      },
    );
    await promote(v3);
    const failed = await settled(await emit('probe-bot'));
    assert.equal(failed.roleVersion, v3);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'SECRET_NOT_SET');
    assert.match(failed.error?.message ?? '', /UNSET_TOKEN/);
    assert.match(failed.error?.message ?? '', /restart/);
    assert.equal(probes().length, 2, 'the tool never ran for v3');

    // The log (the child's lines included: it writes to the same stdout) names the failure, not a value.
    const log = await waitFor(
      async () => (/SECRET_NOT_SET/.test(served.stdout()) ? served.stdout() : undefined),
      'the failed run in the log, with its code',
    );
    assert.ok(!log.includes(PROBE_VALUE), 'the promoted secret’s value is not in the log');
    assert.ok(!log.includes(FILE_VALUE), 'the secrets file’s value is not in the log');
    assert.ok(!log.includes(OTHER_VALUE), 'the other role’s secret’s value is not in the log');
  });
});
