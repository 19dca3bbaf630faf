// A continuous role's cron ticks go to its agent's inbox. Under `overlap: skip` (the default) a tick is
// skipped while an event waits there — being handled, or holding the inbox paused for a person — as a job
// role's tick is skipped while a run of it is queued or running. Before, every tick was added while the
// agent waited for an approval: one inbox item a second here, without bound, each handled in turn once
// the person decided.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, runCli, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

describe('cron on a continuous role waiting for a person', () => {
  it('keeps one tick in the inbox, skipping the next ones (overlap: skip)', async () => {
    const r = role({
      name: 'piler',
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: {} }],
      extra: {
        mode: 'continuous',
        continuous: { leaseSeconds: 30, heartbeatSeconds: 1 },
        triggers: [{ cron: { schedule: '* * * * * *' } }],
      },
    });
    const s = await startServe([r.dir, '--port', '0', '--poll-ms', '50', '--data-dir', r.dataDir]);
    try {
      const agent = async () =>
        json<{ agents: { status: string; inbox: number }[] }>(
          await runCli(['status', '--json', '--data-dir', r.dataDir]),
        ).agents[0];
      await waitFor(
        async () => ((await agent())?.status === 'waiting' ? true : undefined),
        'the agent waiting',
      );
      // Three more ticks come while it waits: each is either skipped (logged) or, before the fix, added.
      const skips = () =>
        (s.stdout().match(/cron tick skipped: the agent has an event in its inbox/g) ?? []).length;
      const shown = await waitFor(
        async () => {
          const a = await agent();
          return skips() >= 3 || (a && a.inbox >= 4) ? a : undefined;
        },
        'three more ticks',
        60_000,
      );
      assert.equal(shown!.status, 'waiting');
      assert.equal(shown!.inbox, 1, `ticks piled up in the waiting agent's inbox: ${shown!.inbox}`);
    } finally {
      s.child.kill('SIGTERM');
      await s.done;
    }
  });
});
