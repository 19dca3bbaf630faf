// The specialists' runs a paused orchestrator waits on, down the chain: their pending escalations and
// drafts are what a person must decide for the orchestrator to go on, so its summary (`run --json`)
// lists them with their own run ids rather than an empty `escalations`.
import { type RunSummary, summarize } from '../engine/summary.js';
import type { RunSnapshot, Store } from '../store/types.js';

/** Levels followed at most: more than any `delegation.maxDepth` allows (as chain.ts). */
const MAX_DEPTH = 16;
const WAITING = ['escalated', 'awaiting_approval'] as const;

/**
 * The paused child runs of `runId` and, below each, its own paused children: depth first, each before
 * its children. Empty for a run that delegated nothing or whose children all ended.
 */
export async function waitingChildren(
  store: Pick<Store, 'listRuns' | 'loadRun'>,
  runId: string,
  depth = 0,
): Promise<RunSnapshot[]> {
  if (depth >= MAX_DEPTH) return [];
  const out: RunSnapshot[] = [];
  for (const child of await store.listRuns({ parentRunId: runId, status: [...WAITING] })) {
    const snapshot = await store.loadRun(child.id);
    if (!snapshot) continue;
    out.push(snapshot, ...(await waitingChildren(store, child.id, depth + 1)));
  }
  return out;
}

/**
 * A run's summary as every door gives it (`run --json`, `show`, `GET /runs/{id}`, MCP `runs.start` and
 * `runs.get`): a paused run's lists also name what its specialists' runs wait on, each with its run id.
 */
export async function summarizeRun(
  store: Pick<Store, 'listRuns' | 'loadRun'>,
  snapshot: Pick<RunSnapshot, 'run' | 'approvals' | 'escalations'>,
): Promise<RunSummary> {
  const paused = snapshot.run.status === 'escalated' || snapshot.run.status === 'awaiting_approval';
  return summarize(snapshot, paused ? await waitingChildren(store, snapshot.run.id) : []);
}
