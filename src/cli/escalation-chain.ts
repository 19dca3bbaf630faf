// `show`'s escalation and approval paths: for each escalation of the run (and each drafted change set that
// went to a manager agent), where it went and who decided, from the steps that record each hop
// (raised → manager agent → people → decided).
import { readStep } from '../steps/read.js';
import type { RunSnapshot } from '../store/types.js';

/** Who passed it to people, and why; a why that already starts with who (a manager's) names it once. */
function peopleWhy(by: string, why: string): string {
  return why.startsWith(`${by} `) ? why : `${by}: ${why}`;
}

/** One line per escalation: `esc_… [money] raised → manager lead (run …) → people (why) → allowed by …`. */
export function escalationChains(snapshot: RunSnapshot): string[] {
  const chains = new Map<string, string[]>();
  for (const stored of snapshot.steps) {
    let step: ReturnType<typeof readStep>;
    try {
      step = readStep(stored);
    } catch {
      continue; // a step this version cannot read: the steps list shows it as stored
    }
    if (step.kind === 'escalation_raised') {
      chains.set(step.data.escalationId, [`[${step.data.category}] raised (${step.data.source})`]);
    } else if (step.kind === 'escalation_hop') {
      const d = step.data;
      chains
        .get(d.escalationId)
        ?.push(
          d.to === 'manager'
            ? `manager ${d.manager} (run ${d.managerRunId})`
            : `people (${peopleWhy(d.by, d.why)})`,
        );
    } else if (step.kind === 'escalation_answered') {
      const d = step.data;
      const verb =
        d.decision === 'allow' || (!d.decision && d.allowCall)
          ? 'allowed'
          : d.decision === 'deny'
            ? 'denied'
            : 'answered';
      chains.get(d.escalationId)?.push(`${verb} by ${d.by}`);
    }
  }
  for (const e of snapshot.escalations)
    if (e.status === 'cancelled') chains.get(e.id)?.push(`cancelled by ${e.answeredBy ?? 'someone'}`);
  return [...chains].map(([id, hops]) => `${id} ${hops.join(' → ')}`);
}

/**
 * One line per change set that went along a path (its role's manager approves drafts):
 * `apr_… drafted (2 calls) → manager lead (run …) → people (why) → approved by dana`. Change sets that went
 * straight to people, as every one did before `approveDrafts`, print nothing here.
 */
export function approvalChains(snapshot: RunSnapshot): string[] {
  const chains = new Map<string, string[]>();
  const travelled = new Set<string>();
  for (const stored of snapshot.steps) {
    let step: ReturnType<typeof readStep>;
    try {
      step = readStep(stored);
    } catch {
      continue;
    }
    if (step.kind === 'approval_requested') {
      chains.set(step.data.approvalId, [`drafted (${step.data.callKeys.length} call(s))`]);
    } else if (step.kind === 'approval_hop') {
      const d = step.data;
      travelled.add(d.approvalId);
      chains
        .get(d.approvalId)
        ?.push(
          d.to === 'manager'
            ? `manager ${d.manager} (run ${d.managerRunId})`
            : `people (${peopleWhy(d.by, d.why)})`,
        );
    } else if (step.kind === 'approval_decided') {
      const d = step.data;
      chains.get(d.approvalId)?.push(`${d.decision} by ${d.by}${d.note ? ` (${d.note})` : ''}`);
    }
  }
  for (const a of snapshot.approvals)
    if (a.status === 'cancelled') chains.get(a.id)?.push(`cancelled by ${a.decidedBy ?? 'someone'}`);
  return [...chains].filter(([id]) => travelled.has(id)).map(([id, hops]) => `${id} ${hops.join(' → ')}`);
}
