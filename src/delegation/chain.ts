// The chain of runs above a specialist's run: orchestrator → specialist (→ ...), so whoever sees a
// specialist's draft or escalation in the inbox sees who asked for the work and through which call.
import type { RunRecord, Store } from '../store/types.js';

export interface ChainLink {
  runId: string;
  role: string;
  /** The call of this run that delegated to the next link (absent on the last). */
  callKey?: string;
}

/** Hops followed at most: more than any `delegation.maxDepth` allows. */
const MAX_HOPS = 16;

/** The runs from the outermost orchestrator down to `run`; just `run` when it has no parent. */
export async function runChain(store: Store, run: RunRecord): Promise<ChainLink[]> {
  const chain: ChainLink[] = [{ runId: run.id, role: run.role }];
  let at = run;
  for (let hop = 0; at.parentRunId && hop < MAX_HOPS; hop++) {
    const parent = await store.getRun(at.parentRunId);
    if (!parent) break;
    chain.unshift({ runId: parent.id, role: parent.role, callKey: at.parentCallKey ?? '' });
    at = parent;
  }
  return chain;
}

/** The chains of the given runs that have a parent, by run id (a run on its own has none to show). */
export async function chainsOf(store: Store, runIds: Iterable<string>): Promise<Record<string, ChainLink[]>> {
  const out: Record<string, ChainLink[]> = {};
  for (const id of new Set(runIds)) {
    const run = await store.getRun(id);
    if (run?.parentRunId) out[id] = await runChain(store, run);
  }
  return out;
}

/** `support-desk (run_1) → billing (run_2) → refunds.issue`. */
export function formatChain(chain: readonly ChainLink[], call?: string): string {
  const links = chain.map((l) => `${l.role} (${l.runId})`);
  return [...links, ...(call ? [call] : [])].join(' → ');
}
