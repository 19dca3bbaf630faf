// The draft decision tools act once and only on what the manager was shown: a re-run (the manager's process
// died between the approval's commit and the tool's result) finds its own decision and reports it; a change
// set whose hash is not the one in the manager run's input is refused, with nothing approved.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { draftTools } from '../../src/managers/draft-tools.js';
import { createRuntime } from '../../src/runtime.js';
import { testRole, toolContext } from '../support/role.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

function drafting() {
  return role({
    autonomy: 'draft',
    tools: ['ledger.append'],
    turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 250 } }, { final: { ok: true } }],
  });
}

describe('draft decision tools', () => {
  it('a repeated approve reports the decision already made; the calls are released once and run once', async () => {
    const r = drafting();
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      const approval = (await rt.get(paused.runId))!.approvals[0]!;
      const d = {
        store: rt.store,
        clock: systemClock,
        approvalId: approval.id,
        actor: 'manager:lead/run_mgr_x',
        shownHash: approval.changeSetHash,
      };
      const approve = draftTools(d).find((t) => t.name === 'approval.approve')!;
      const ctx = toolContext(testRole());
      const first = (await approve.run({ note: 'ok' }, ctx)) as Record<string, unknown>;
      assert.equal(first.decided, 'approved');
      assert.equal(first.status, 'queued', "a manager's decision hands the run to whoever drives it");
      const second = (await approve.run({ note: 'ok' }, ctx)) as Record<string, unknown>;
      assert.equal(second.repeated, true);
      const snap = (await rt.get(paused.runId))!;
      assert.equal(snap.steps.filter((s) => s.kind === 'approval_decided').length, 1);
      assert.equal(snap.toolCalls[0]!.status, 'pending');

      // Another manager (or a person) cannot decide it again.
      const other = draftTools({ ...d, actor: 'manager:lead/run_mgr_y' }).find(
        (t) => t.name === 'approval.reject',
      )!;
      await assert.rejects(other.run({ reason: 'no' }, ctx), { code: 'APPROVAL_NOT_PENDING' });
      await assert.rejects(rt.reject(approval.id, { by: 'dana', reason: 'no' }), {
        code: 'APPROVAL_NOT_PENDING',
      });

      const result = await rt.resume(paused.runId);
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund']);
    } finally {
      await rt.close();
    }
  });

  it('refuses to approve a change set other than the one the manager run was shown', async () => {
    const r = drafting();
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      const approval = (await rt.get(paused.runId))!.approvals[0]!;
      const approve = draftTools({
        store: rt.store,
        clock: systemClock,
        approvalId: approval.id,
        actor: 'manager:lead/run_mgr_x',
        shownHash: 'sha256:something-else',
      }).find((t) => t.name === 'approval.approve')!;
      await assert.rejects(approve.run({ note: 'ok' }, toolContext(testRole())), {
        code: 'APPROVAL_MISMATCH',
      });
      assert.equal((await rt.store.getApproval(approval.id))!.status, 'pending');
      assert.deepEqual(r.ledger(), []);
    } finally {
      await rt.close();
    }
  });
});
