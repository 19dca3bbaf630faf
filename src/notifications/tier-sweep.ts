// Tier timeouts: a matter nobody answered within its tier's timeout passes to the next tier, in one
// commit on the run (a `tier_passed` step, the tier row moved on from exactly the tier it was at, and the
// next tier's notifications), so it passes once however many sweepers race, and a crash loses nothing.
// After the last tier the run stays paused (logged), for whoever answers: silence never allows anything.
import type { Clock } from '../clock.js';
import { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory } from '../people/config.js';
import type { EscalatePath } from '../roles/escalate-path.js';
import type { DecisionTierRecord, Store } from '../store/types.js';
import { enqueueHumanNotifications } from './enqueue.js';
import { pendingApproval, pendingEscalation } from './pending.js';

export interface SweepOptions {
  store: Store;
  clock: Clock;
  people: PeopleDirectory | undefined;
  /** The `escalate:` path of the role the run was started with (its stored version). */
  pathOfRun(runId: string): Promise<EscalatePath | undefined>;
  max?: number;
}

/** One pass; returns how many matters passed on. */
export async function sweepTiers(o: SweepOptions): Promise<number> {
  const due = await o.store.dueTiers(o.clock.now(), o.max ?? 50);
  let passed = 0;
  for (const tier of due) {
    try {
      if (await passOn(o, tier)) passed++;
    } catch (err) {
      // Another sweeper or a decision moved the run first: the next pass reads it afresh.
      if (NightshiftError.isInstance(err) && err.code === 'STORE_CONFLICT') continue;
      throw err;
    }
  }
  return passed;
}

async function passOn(o: SweepOptions, tier: DecisionTierRecord): Promise<boolean> {
  const snapshot = await o.store.loadRun(tier.runId);
  const state = snapshot ? new RunState(snapshot) : undefined;
  const approval = state?.approvals.get(tier.decisionId);
  const escalation = state?.escalations.get(tier.decisionId);
  const record = approval ?? escalation;
  if (!state || !record || record.status !== 'pending') {
    // Decided, cancelled or gone: it no longer waits, so its tier stops timing out.
    await o.store.closeTier(tier.decisionId, o.clock.now());
    return false;
  }
  const pending = approval ? pendingApproval(approval) : pendingEscalation(escalation!);
  const b = state.batch(o.clock.now());
  const next = enqueueHumanNotifications(
    b,
    pending,
    tier.tier + 1,
    { escalate: await o.pathOfRun(tier.runId), people: o.people },
    tier.tier,
  );
  if (!next) b.tier({ ...tier, dueAt: null, updatedAt: b.at }, tier.tier);
  b.step('tier_passed', {
    decisionId: tier.decisionId,
    kind: tier.decisionKind,
    from: tier.tier,
    to: next ? tier.tier + 1 : null,
    people: next?.people ?? [],
  });
  await state.commit(o.store, b);
  return true;
}
