// The demotion a run is driven under, read each time it is driven: its own role's, when the role's active
// version has a lower rung than the run acts at, or that of a role above it in its delegation chain. A
// child acts at no more than its parent's effective rung (docs/orchestration.md), and a demoted
// orchestrator's effective rung is its active version's: so a child created before its orchestrator was
// demoted is capped at the orchestrator's new rung too, from the next time it is driven. The cap stored on
// the child at its creation (`autonomyCap`) covers what the chain was then; this covers what it is now.
import { ancestorRuns } from '../delegation/ancestors.js';
import type { RunRecord } from '../store/types.js';
import { type Demotion, demotionOf, effectiveRung } from './authority-cap.js';
import type { EngineContext } from './context.js';
import type { PreparedRole } from './prepare.js';

type ActiveRung = NonNullable<EngineContext['activeRung']>;

/**
 * The lowest demotion applying to `run`, if any; `fresh`: recorded just now, nothing to look for yet.
 * `ancestors`: the run's ancestor runs, parent first (delegation/ancestors.ts), when the caller read them.
 */
export async function demotionFor(
  ctx: EngineContext,
  prepared: PreparedRole,
  run: RunRecord,
  fresh: boolean,
  ancestors?: readonly RunRecord[],
): Promise<Demotion | undefined> {
  const activeRung = ctx.activeRung;
  if (fresh || !activeRung) return undefined;
  const rung = effectiveRung(prepared.role, run);
  let lowest = demotionOf(rung, await otherActive(activeRung, prepared.role.name, prepared.role.version));
  // Up the chain: each ancestor's role, demoted since that ancestor started, lowers this run too. A chain
  // is bounded by delegation.maxDepth; the walk also stops at a run seen already (a corrupt store).
  for (const parent of ancestors ?? (await ancestorRuns(ctx.store, run))) {
    const found = demotionOf(
      lowest?.to ?? rung,
      await otherActive(activeRung, parent.role, parent.roleVersion),
    );
    if (found) lowest = { ...found, from: rung, by: { role: parent.role, runId: parent.id } };
  }
  return lowest;
}

/** Whether demotionFor looks up the chain at all (it does not for a fresh run, or without active rungs). */
export function demotionWalks(ctx: EngineContext, fresh: boolean): boolean {
  return !fresh && ctx.activeRung !== undefined;
}

/** The role's active version, unless it is `version` itself (a run of it is not demoted by it). */
async function otherActive(activeRung: ActiveRung, role: string, version: string) {
  const active = await activeRung(role);
  return active?.version === version ? undefined : active;
}
