// A role demoted while a run of it was paused (or queued) does not hand that run its old authority back:
// each time a run is driven, its rung is capped at the rung of the role's active version, when that is
// lower, or at that of a role above it in its delegation chain (chain-demotion.ts; docs/autonomy.md, "A
// demotion reaches paused runs"). Calls the policy allowed before the demotion,
// still waiting to run (behind a draft or a held call of their turn), are decided again at the lower rung;
// calls a person approved or allowed still run, except that nothing but a read runs at `observe`.
import { isManagerActor } from '../managers/manager-for.js';
import type { ToolCallRecord } from '../store/types.js';
import { decidedArgs } from './call-args.js';
import type { DrivenRun } from './driven-run.js';
import { judgeCall } from './judge.js';

/**
 * Why `call` (pending, decided before the demotion) may not run at the demoted rung; undefined when it
 * may. A read always may. A call a person approved or let run keeps that decision, but at `observe`
 * nothing but a read runs, approved or not. A call the policy allowed is decided again at the new rung.
 */
export async function deniedByDemotion(run: DrivenRun, call: ToolCallRecord): Promise<string | undefined> {
  const demotion = run.demotion;
  if (!demotion) return undefined;
  const tool = run.prepared.tools.get(call.tool);
  if (!tool || tool.effect === 'read') return undefined;
  const role = run.prepared.role.name;
  const head = demotion.by
    ? `role ${demotion.by.role} (run ${demotion.by.runId}, which delegated to this run of ${role}) was demoted to '${demotion.to}' (active version ${demotion.activeVersion}) after this call was decided, so this run acts at '${demotion.to}', not '${demotion.from}'`
    : `role ${role} was demoted from '${demotion.from}' to '${demotion.to}' (active version ${demotion.activeVersion}) after this call was decided`;
  const byPerson = await decidedByPerson(run, call);
  if (demotion.to === 'observe')
    return `${head}: at 'observe' ${call.tool} (${tool.effect}) does not run${byPerson ? ', approved or not' : ''}`;
  if (byPerson) return undefined;
  const decided = decidedArgs(call, run.prepared.reveal);
  if (!decided.ok) return `${head}: ${decided.reason}`;
  const { verdict } = await judgeCall(
    run.prepared,
    { tool: call.tool, args: decided.args },
    run.state.run.input,
  );
  if (verdict.decision === 'allow') return undefined;
  return `${head}: decided again at '${demotion.to}': ${verdict.decision} (${verdict.reason}); ask again`;
}

/**
 * Whether a person (not a manager agent) approved the call's change set or let the call run: only a
 * person's decision outlives a demotion; a manager's is the role's own chain acting, decided again.
 */
async function decidedByPerson(run: DrivenRun, call: ToolCallRecord): Promise<boolean> {
  const store = run.ctx.store;
  if (call.approvalId !== null) {
    const approval = await store.getApproval(call.approvalId);
    if (approval?.status === 'approved' && !isManagerActor(approval.decidedBy)) return true;
  }
  if (call.escalationId !== null) {
    const escalation = await store.getEscalation(call.escalationId);
    if (escalation?.status === 'answered' && !isManagerActor(escalation.answeredBy)) return true;
  }
  return false;
}
