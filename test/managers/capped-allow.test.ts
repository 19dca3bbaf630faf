// `escalation.allow` is judged at the escalated run's delegation cap (engine/authority-cap.ts): a manager
// whose own role could make the held call at `full` cannot release it from a specialist that an orchestrator
// capped at `draft`; the allow escalates to people instead. The same escalation, uncapped, is allowed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { systemClock } from '../../src/clock.js';
import { prepareRole } from '../../src/engine/prepare.js';
import { judgeDecision } from '../../src/managers/decision-tools.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

describe('escalation.allow at the delegation cap', () => {
  it('allows the held call uncapped, and escalates it once the escalated run is capped at draft', async () => {
    const clerk = role({
      name: 'capped-clerk',
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: 100 } }],
      turns: [{ call: 'ledger.append', args: { entry: 'refund', amount: 250 } }, { final: {} }],
    });
    const lead = role({
      name: 'capped-lead',
      autonomy: 'full',
      tools: ['ledger.append'],
      escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: 1000 } }],
      turns: [{ final: {} }],
    });
    const rt = await createRuntime({ dataDir: clerk.dataDir });
    const manager = await prepareRole(await loadRoleFile(lead.file));
    try {
      const paused = await rt.run(clerk.file, {});
      const d = {
        store: rt.store,
        clock: systemClock,
        escalationId: paused.escalations[0]!.id,
        actor: 'manager:capped-lead/run_mgr_x',
        budget: undefined,
      };
      const allow = { tool: 'escalation.allow', args: { note: 'within my limit' } };

      const uncapped = await judgeDecision(d, manager, allow);
      assert.equal(uncapped?.verdict.decision, 'allow', uncapped?.verdict.reason);

      // The link and cap a delegation fixes when it creates a child run (delegation/children.ts), set on this
      // run's row in the real store file: it is now a specialist of an orchestrator run acting at `draft`.
      const parent = await rt.enqueue(await loadRoleFile(lead.file), {});
      const db = new Database(join(clerk.dataDir, 'nightshift.db'));
      try {
        db.prepare(
          'UPDATE runs SET parent_run_id = ?, parent_call_key = ?, autonomy_cap = ? WHERE id = ?',
        ).run(parent.runId, 'call_delegate', 'draft', paused.runId);
      } finally {
        db.close();
      }
      assert.equal((await rt.store.getRun(paused.runId))?.autonomyCap, 'draft');

      const capped = await judgeDecision(d, manager, allow);
      assert.equal(capped?.verdict.decision, 'escalate', capped?.verdict.reason);
      // The reason names the rung judged at and the lead's own, so nobody reads the lead as a `draft` role.
      assert.match(
        capped!.verdict.reason,
        /beyond the manager's authority as the manager's role \(capped-lead, draft: its own rung 'full', capped by the delegation chain/,
      );
      assert.match(uncapped!.verdict.reason, /within the manager's authority/);
      // Judging decided nothing: the escalation still waits, and the held call has not run.
      assert.equal((await rt.store.getEscalation(d.escalationId))?.status, 'pending');
      assert.deepEqual(clerk.ledger(), []);
    } finally {
      await manager.dispose();
      await rt.close();
    }
  });
});
