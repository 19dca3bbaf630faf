// A case's `decisions`: what a person decides at each pause of the case run, applied in order in the
// case's own store, so a suite can check what a role does after an approval, a rejection or an answer
// and not only where it first stops. Each decision is one check: it fails (and the rest are not applied)
// when the run is not paused on what it decides, or the decision is refused.
import { SIGNED_BY_NIGHTSHIFT } from '../approvals/actor.js';
import { NightshiftError } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { Check } from './expectations.js';
import type { CaseDecision } from './suite-file.js';

/** Who the case run's decisions are recorded as. */
const EVAL_PERSON = 'eval';
// `eval` is a name reserved for nightshift (src/approvals/actor.ts): signed as nightshift's own.
const signed = { by: EVAL_PERSON, [SIGNED_BY_NIGHTSHIFT]: EVAL_PERSON } as const;

export async function applyDecisions(
  runtime: Runtime,
  runId: string,
  decisions: readonly CaseDecision[],
): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [i, d] of decisions.entries()) {
    const what = `decisions[${i}]`;
    const failed = (reason: string): Check[] => [...checks, { what, ok: false, reason, score: 0 }];
    // Only this case's runs live in its store: the pending item is the run's (or one of its specialists').
    const inbox = await runtime.inbox();
    const status = (await runtime.get(runId))?.run.status ?? 'unknown';
    try {
      if (d.answer !== undefined) {
        const [pending] = [...inbox.escalations].sort((a, b) => a.createdAt - b.createdAt);
        if (!pending) return failed(`answer: no escalation is pending (the run is ${status})`);
        await runtime.answer(pending.id, d.answer, {
          ...signed,
          ...(d.allowCall !== undefined ? { allowCall: d.allowCall } : {}),
        });
      } else {
        const [pending] = [...inbox.approvals].sort((a, b) => a.requestedAt - b.requestedAt);
        const verb = d.approve ? 'approve' : 'reject';
        if (!pending) return failed(`${verb}: no approval is pending (the run is ${status})`);
        if (d.approve) await runtime.approve(pending.id, { ...signed, ...(d.note ? { note: d.note } : {}) });
        else await runtime.reject(pending.id, { ...signed, reason: d.reject! });
      }
    } catch (err) {
      if (!NightshiftError.isInstance(err)) throw err;
      return failed(`refused: ${err.code}: ${err.message}`);
    }
    checks.push({ what, ok: true, score: 1 });
  }
  return checks;
}
