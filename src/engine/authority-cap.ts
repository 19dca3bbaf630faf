// A delegation never raises authority: a child run acts at the lower of its role's rung and its parent's
// effective rung (`RunRecord.autonomyCap`, fixed when the child is created). Applied once, where a run is
// driven, by handing the work a role whose autonomy is the capped one: the policy, an executor's sandbox and
// the system prompt all read `role.autonomy`, so none of them can see the uncapped rung.
import { AUTONOMY_LEVELS, type Autonomy } from '../domain.js';
import type { RunRecord } from '../store/types.js';
import { systemPrompt } from './conversation.js';
import type { PreparedRole } from './prepare.js';

/** The lower of two rungs. */
export function lowerRung(a: Autonomy, b: Autonomy | null | undefined): Autonomy {
  if (!b) return a;
  return AUTONOMY_LEVELS.indexOf(a) <= AUTONOMY_LEVELS.indexOf(b) ? a : b;
}

/** The rung `run` acts at: its role's, lowered by its cap. */
export function effectiveRung(role: PreparedRole['role'], run: Pick<RunRecord, 'autonomyCap'>): Autonomy {
  return lowerRung(role.autonomy, run.autonomyCap);
}

/** `prepared` as `run` may use it: the same role, at the run's effective rung. */
export function capAuthority(prepared: PreparedRole, run: Pick<RunRecord, 'autonomyCap'>): PreparedRole {
  const autonomy = effectiveRung(prepared.role, run);
  if (autonomy === prepared.role.autonomy) return prepared;
  const role = { ...prepared.role, autonomy };
  return {
    ...prepared,
    role,
    system: systemPrompt(role, { executor: prepared.agent.kind === 'executor' }),
  };
}

/**
 * The rung `capped` acts at, for a reason a person reads: with the role's own rung when the cap lowered it,
 * so a manager judged at its specialist's cap is not reported as a role of that rung (`lead, draft` for a
 * `full` lead reads as if the lead itself were at `draft`).
 */
export function rungAsCapped(own: PreparedRole, capped: PreparedRole): string {
  if (capped.role.autonomy === own.role.autonomy) return capped.role.autonomy;
  return `${capped.role.autonomy}: its own rung '${own.role.autonomy}', capped by the delegation chain of the run it decides for`;
}

/** What a run is driven under when its role's active version has a lower rung than the run's own. */
export interface Demotion {
  /** The rung the run's own version (and its parent's cap) would have it act at. */
  from: Autonomy;
  /** The active version's rung: the run acts at this one now. */
  to: Autonomy;
  activeVersion: string;
  /**
   * The run above this one in its delegation chain whose role was demoted, when it is not this run's own
   * role: a child acts at no more than its parent's effective rung, demoted included (chain-demotion.ts).
   */
  by?: { role: string; runId: string } | undefined;
}

/** The demotion applying to a run acting at `runRung` when its role's active rung is `active`, if any. */
export function demotionOf(
  runRung: Autonomy,
  active: { autonomy: Autonomy; version: string } | undefined,
): Demotion | undefined {
  if (!active) return undefined;
  if (AUTONOMY_LEVELS.indexOf(active.autonomy) >= AUTONOMY_LEVELS.indexOf(runRung)) return undefined;
  return { from: runRung, to: active.autonomy, activeVersion: active.version };
}
