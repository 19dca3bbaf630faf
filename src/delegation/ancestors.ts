// The runs above a run in its delegation chain, read once from the store: what both the chain's demotion
// (engine/chain-demotion.ts) and the inherited manager (managers/inherit.ts) look at when a run is driven.
import type { RunRecord, Store } from '../store/types.js';

/** Ancestors followed at most: delegation chains are short; a longer one is a broken store, not a path. */
export const MAX_ANCESTORS = 32;

/**
 * The ancestor runs of `run`, its parent first, up to the outermost orchestrator. The walk stops at a
 * parent that is gone, after MAX_ANCESTORS, or at a run seen already (a corrupt store linking a run to
 * itself).
 */
export async function ancestorRuns(
  store: Pick<Store, 'getRun'>,
  run: Pick<RunRecord, 'id' | 'parentRunId'>,
): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  const seen = new Set([run.id]);
  let parentId = run.parentRunId ?? null;
  while (parentId !== null && !seen.has(parentId) && out.length < MAX_ANCESTORS) {
    seen.add(parentId);
    const parent = await store.getRun(parentId);
    if (!parent) break;
    out.push(parent);
    parentId = parent.parentRunId ?? null;
  }
  return out;
}
