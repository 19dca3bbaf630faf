// Applying a decision that came through a channel (a Slack click, an email confirm page): the person must
// be configured and may decide for the run's role, an approval must still be the change set they were
// shown, and then the same approve / reject / answer the CLI uses records it, with `by: person.name`.
// The run goes back on the workers' queue (decision 027); nothing here drives it. A manager run still
// deciding the same matter is closed, as after the CLI's or the HTTP answer-back's decision.
import { approve, reject } from '../approvals/decide-approval.js';
import type { Clock } from '../clock.js';
import type { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import { answerEscalation } from '../escalations/answer.js';
import { closeManagerRunOf } from '../managers/person-decided.js';
import type { Role } from '../roles/schema.js';
import type { Store } from '../store/types.js';
import { loadSecrets, revealerFor } from '../tools/secrets.js';
import { checkMayDecide } from './people.js';
import type { PersonSpec } from './settings.js';
import type { DecisionKind } from './types.js';

/** A decision that arrives at `serve` hands its run to the workers' queue (decision 027); the request drives nothing. */
const QUEUE = { drive: 'queue' } as const;

export type DecisionAction = 'approve' | 'reject' | 'answer';

export interface ChannelDecision {
  kind: DecisionKind;
  /** The approval or escalation id. */
  id: string;
  action: DecisionAction;
  person: PersonSpec;
  /** Reject: the reason; answer: the answer; approve: an optional note. */
  text?: string | undefined;
  /** Approve: the change set hash the person was shown; a different one is refused. */
  hash?: string | undefined;
}

export interface DecisionDeps {
  store: Store;
  clock: Clock;
  roles: readonly Role[];
  env: NodeJS.ProcessEnv;
}

export interface DecisionOutcome {
  runId: string;
  status: string;
}

function actionFits(kind: DecisionKind, action: DecisionAction): boolean {
  return kind === 'approval' ? action !== 'answer' : action === 'answer';
}

/** The role of the decision's run, checked against the person's `decides:` before anything is written. */
async function decisionRole(store: Store, kind: DecisionKind, id: string): Promise<string> {
  const record = kind === 'approval' ? await store.getApproval(id) : await store.getEscalation(id);
  if (!record)
    throw new NightshiftError(
      kind === 'approval' ? 'APPROVAL_NOT_FOUND' : 'ESCALATION_NOT_FOUND',
      `no ${kind} ${id}`,
    );
  return record.role;
}

/** Throws unless the decision exists and `person` may decide for its role (nothing is written). */
export async function checkDecider(
  store: Store,
  kind: DecisionKind,
  id: string,
  person: PersonSpec,
): Promise<string> {
  const role = await decisionRole(store, kind, id);
  checkMayDecide(person, role);
  return role;
}

export async function applyDecision(deps: DecisionDeps, d: ChannelDecision): Promise<DecisionOutcome> {
  if (!actionFits(d.kind, d.action))
    throw new NightshiftError('DECISION_REFUSED', `an ${d.kind} cannot be decided with '${d.action}'`);
  const roleName = await checkDecider(deps.store, d.kind, d.id, d.person);
  const role = deps.roles.find((r) => r.name === roleName);
  const by = d.person.name;
  const text = d.text?.trim() || undefined;
  if (d.kind === 'escalation') {
    const state = await answerEscalation(deps.store, deps.clock, {
      escalationId: d.id,
      answer: text ?? '',
      by,
      budget: role?.budget,
      after: QUEUE,
    });
    const answered = state.escalations.get(d.id);
    if (answered) await closeManagerRunOf(deps.store, deps.clock, { kind: 'escalation', record: answered });
    return { runId: state.run.id, status: state.run.status };
  }
  if (d.action === 'reject') {
    const state = await reject(deps.store, deps.clock, { approvalId: d.id, by, note: text, after: QUEUE });
    return closingManager(deps, state, d.id);
  }
  if (d.hash !== undefined) {
    const approval = await deps.store.getApproval(d.id);
    if (approval && approval.changeSetHash !== d.hash)
      throw new NightshiftError(
        'APPROVAL_MISMATCH',
        `approval ${d.id}: the change set is not the one ${by} was shown; nothing was approved`,
      );
  }
  // The drafted calls' stored arguments are redacted; with the role's secrets they are checked against
  // their hashes here too (without them, the worker checks before each call runs).
  const reveal = role ? revealerFor(loadSecrets(role, deps.env)) : undefined;
  const state = await approve(deps.store, deps.clock, {
    approvalId: d.id,
    by,
    note: text,
    reveal,
    after: QUEUE,
  });
  return closingManager(deps, state, d.id);
}

/** After a person's decision on a change set: its manager run, if still deciding it, is closed. */
async function closingManager(
  deps: DecisionDeps,
  state: RunState,
  approvalId: string,
): Promise<DecisionOutcome> {
  const decided = state.approvals.get(approvalId);
  if (decided) await closeManagerRunOf(deps.store, deps.clock, { kind: 'approval', record: decided });
  return { runId: state.run.id, status: state.run.status };
}
