// kill -9 at the decision hop of a channel: a person approves over the webhook answer-back endpoint of a
// real `nightshift serve`; the decision hands the run to serve's worker, which starts the approved call and
// is killed (SIGKILL) in the middle of it. The next serve takes the run over: the decision is not lost, not
// taken twice, and the approved call's effect happens once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { signDecision } from '../../src/server/webhook-signature.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { startReceiver } from '../support/decision-receiver.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'decisions-secret-kill-test-0123456789abcdef0123456789';
const role = testRoles();

function signed(path: string, body: string) {
  const t = Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'x-nightshift-signature': signDecision(SECRET, t, path, body),
  };
}

describe('kill -9 at the decision hop (a channel decision, then serve killed)', () => {
  it('the next serve finishes the approved run; the approval is recorded once and the call happens once', async () => {
    const r = role({
      name: 'refund-desk',
      autonomy: 'draft',
      tools: ['ledger.append_once'],
      turns: [
        { call: 'ledger.append_once', args: { entry: 'refund 250', hold: 'approved' } },
        { final: { summary: 'done' } },
      ],
      extra: { escalate: { tiers: [{ to: ['alice'], via: ['webhook'] }] } },
    });
    const rx = await startReceiver(SECRET, false);
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', webhook: rx.url, decides: ['refund-*'] }] }),
    );
    const serve = () =>
      startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20', '--lease-ms', '3000'], {
        cwd: r.dir,
        env: { NIGHTSHIFT_DECISIONS_SECRET: SECRET, NIGHTSHIFT_NOTIFY_MS: '50' },
      });
    const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    let served: Served | undefined = await serve();
    try {
      const paused = json<{ runId: string; pending: string[] }>(await cli(['run', r.file]));
      const approvalId = paused.pending[0]!;
      const body = JSON.stringify({ decision: 'approve', person: 'alice', text: 'ok' });
      const res = await fetch(`${served.url}/decisions/approval/${approvalId}`, {
        method: 'POST',
        headers: signed(`/decisions/approval/${approvalId}`, body),
        body,
      });
      assert.equal(res.status, 200, await res.clone().text());
      // The worker started the approved call; the serve dies in the middle of it.
      await waitFor(async () => existsSync(join(r.workspace, 'reached-approved')) || undefined, 'the call');
      served.child.kill('SIGKILL');
      await served.done;
      served = undefined;

      const store = openSqliteStore({ dataDir: r.dataDir });
      await store.init();
      try {
        const snap = (await store.loadRun(paused.runId))!;
        assert.equal(snap.approvals[0]!.status, 'approved');
        assert.equal(snap.approvals[0]!.decidedBy, 'alice');
        assert.equal(snap.toolCalls[0]!.status, 'started');
      } finally {
        await store.close();
      }

      writeFileSync(join(r.workspace, 'release-approved'), '');
      served = await serve();
      await waitFor(
        async () =>
          json<{ status: string }>(await cli(['show', paused.runId])).status === 'succeeded'
            ? true
            : undefined,
        'the next serve to finish the run',
        60_000,
      );
      const lines = readFileSync(join(r.workspace, 'ledger.txt'), 'utf8').split('\n').filter(Boolean);
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, /^refund 250 #/);
      const steps = json<{ steps: { kind: string }[] }>(await cli(['show', paused.runId])).steps;
      assert.equal(steps.filter((s) => s.kind === 'approval_decided').length, 1);
    } finally {
      served?.child.kill('SIGKILL');
      await served?.done;
      await rx.close();
    }
  });
});
