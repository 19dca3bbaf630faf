// `kill -9` of the embedded daemon holding a continuous agent mid-event, then `nightshift serve` started
// again on the same data dir (docs/reliability.md: a restarted embedded daemon takes over its dead
// predecessor's work at once). The agent's lease is far longer than the test, so the restarted daemon can
// take the agent, and continue its interrupted run, only by seeing that the holder is a dead process of
// this host: before the fix its inbox waited out the whole `leaseSeconds`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, runCli, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

interface ShownAgent {
  role: string;
  status: string;
  owner: string | null;
  live: boolean;
  takeovers: number;
  context: unknown;
}

describe('continuous agent: the embedded daemon killed and started again', () => {
  it('takes the agent and its interrupted run over at once, not after leaseSeconds', async () => {
    const r = role({
      name: 'sentinel',
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [
        { call: 'ledger.append_once', args: { entry: 'E-1', hold: 'E-1' } },
        { final: { context: { seen: 1 } } },
      ],
      extra: {
        mode: 'continuous',
        // Far past the test's bounds: a takeover by lease expiry cannot be mistaken for one at once.
        continuous: { leaseSeconds: 600, heartbeatSeconds: 1 },
        triggers: [{ event: 'alert' }],
      },
    });
    const args = [r.dir, '--port', '0', '--poll-ms', '50', '--data-dir', r.dataDir];
    const agent = async () =>
      json<{ agents: ShownAgent[] }>(await runCli(['status', '--json', '--data-dir', r.dataDir])).agents[0];

    const a = await startServe(args);
    let b: Awaited<ReturnType<typeof startServe>> | undefined;
    try {
      const sent = await runCli(['emit', 'alert', '{"id":"E-1"}', '--url', a.url, '--data-dir', r.dataDir], {
        env: { NIGHTSHIFT_TOKEN: a.token },
      });
      assert.equal(sent.code, 0, sent.stderr);
      const reached = join(r.workspace, 'reached-E-1');
      await waitFor(async () => (existsSync(reached) ? true : undefined), 'the agent in the tool');
      a.child.kill('SIGKILL');
      await a.done;
      // Before any worker is back: `status` does not call the killed daemon a live holder, lease or not.
      const gone = (await agent())!;
      assert.equal(gone.live, false, 'the killed holder is not live');
      const shown = await runCli(['status', '--data-dir', r.dataDir]);
      assert.match(shown.stdout, /sentinel {2}working +holder gone \(/);

      b = await startServe(args);
      const started = Date.now();
      writeFileSync(join(r.workspace, 'release-E-1'), '');
      const done = await waitFor(
        async () => {
          const ag = await agent();
          return ag?.status === 'idle' && ag.owner?.includes(`/${b!.child.pid}/`) ? ag : undefined;
        },
        'the restarted daemon to take the agent over and finish E-1',
        60_000,
      );
      process.stdout.write(
        `# agent taken over and E-1 handled ${Date.now() - started} ms after the restart\n`,
      );
      assert.deepEqual(done.context, { seen: 1 });
      assert.equal(done.takeovers, 1, 'counted as a takeover of a dead holder');
      assert.equal(
        readFileSync(join(r.workspace, 'ledger.txt'), 'utf8').split('\n').filter(Boolean).length,
        1,
        'the idempotent call in flight was not duplicated',
      );
    } finally {
      a.child.kill('SIGKILL');
      b?.child.kill('SIGKILL');
      await b?.done;
    }
  });
});
