// Telemetry reads what the store accepted, not what the engine meant to do. Every metric, span and audit
// figure is derived from the batches a store committed (the step log says everything: model turns with
// their usage and latency, each policy decision with its reason, tool starts and ends, escalations,
// human decisions, the end of the run), so no engine path can report work that did not happen, and no
// new engine path can be forgotten by telemetry. The tap wraps one store object's write methods; the
// runs' role and version, which a batch does not carry, are learned from the reads and claims that
// precede every commit of a run in this process (createRun, recordEvent, loadRun, getRun, claimNextRuns).
//
// Observers are called on the commit path: they must be cheap and must not throw (a throwing observer
// is reported to `onError` and the commit still counts as done).
import type { RunStep } from '../steps/types.js';
import type { RunUsage } from '../store/records/run.js';
import type { CommitBatch, RunRecord, RunSnapshot, Store } from '../store/types.js';
import { boundedSet } from './bounded-map.js';

/** Who a committed run is, as far as this process has seen it. */
export interface TappedRun {
  id: string;
  role: string;
  roleVersion: string;
  /** When the run was created: where its trace's root span starts (src/telemetry/traces/). */
  createdAt: number;
  /**
   * The run's usage as last read or committed here: a batch that ends a run without a turn (a model
   * error, a crash loop, a cancel) carries none, and its root span still reports the run's totals.
   */
  usage?: RunUsage;
}

export interface CommittedBatch {
  /** The run, when this process has read or created it (always, for runs the engine drives here). */
  run: TappedRun | undefined;
  batch: CommitBatch;
  /** The batch's steps, typed (the engine writes them through the typed BatchBuilder). */
  steps: readonly RunStep[];
  /** How long the store took to accept the batch, in milliseconds. */
  commitMs: number;
  /** The run was created by this write (createRun), not advanced. */
  created: boolean;
}

export interface CommitObserver {
  /** A batch the store accepted (or a run it created, with its first steps). */
  committed?(c: CommittedBatch): void;
  /** A write the store refused or could not make (a conflict, an outage), with how long it took. */
  failed?(runId: string, err: unknown, commitMs: number): void;
  /**
   * Runs the queue handed to this process (claimNextRuns), as leased, at the store clock's `now`. Not a
   * commit, but the one moment the step log does not record: when a queued run was first taken.
   */
  claimed?(runs: readonly RunRecord[], now: number): void;
}

/** Beyond this many runs remembered, the oldest are forgotten (and learned again at their next read). */
const MAX_RUNS_REMEMBERED = 50_000;

/**
 * Makes `store` report every write to `observers`. Patches the given object in place (the stores are
 * class instances with private state, so a wrapper object would not do) and returns it.
 */
export function tapCommits(
  store: Store,
  observers: readonly CommitObserver[],
  onError: (err: unknown) => void = () => {},
): Store {
  if (observers.length === 0) return store;
  const runs = new Map<string, TappedRun>();
  const remember = (run: RunRecord | undefined): void => {
    if (!run) return;
    const known = runs.get(run.id);
    // Read again (claimed after another process drove it): its usage may have grown meanwhile.
    if (known) {
      known.usage = run.usage;
      return;
    }
    const tapped: TappedRun = {
      id: run.id,
      role: run.role,
      roleVersion: run.roleVersion,
      createdAt: run.createdAt,
      usage: run.usage,
    };
    boundedSet(runs, run.id, tapped, MAX_RUNS_REMEMBERED);
  };
  const tell = (c: CommittedBatch): void => {
    for (const o of observers) {
      try {
        o.committed?.(c);
      } catch (err) {
        onError(err);
      }
    }
  };
  const tellFailed = (runId: string, err: unknown, ms: number): void => {
    for (const o of observers) {
      try {
        o.failed?.(runId, err, ms);
      } catch (e) {
        onError(e);
      }
    }
  };

  const commit = store.commit.bind(store);
  store.commit = async (batch: CommitBatch): Promise<void> => {
    const started = performance.now();
    try {
      await commit(batch);
    } catch (err) {
      tellFailed(batch.runId, err, performance.now() - started);
      throw err;
    }
    const commitMs = performance.now() - started;
    const tapped = runs.get(batch.runId);
    if (tapped && batch.run?.usage) tapped.usage = batch.run.usage;
    tell({ run: tapped, batch, steps: batch.steps as RunStep[], commitMs, created: false });
  };

  const createRun = store.createRun.bind(store);
  store.createRun = async (run, init) => {
    const started = performance.now();
    let out: Awaited<ReturnType<Store['createRun']>>;
    try {
      out = await createRun(run, init);
    } catch (err) {
      tellFailed(run.id, err, performance.now() - started);
      throw err;
    }
    remember(out.run);
    if (out.created) {
      const batch: CommitBatch = { runId: run.id, expectSeq: 0, ...init };
      tell({
        run: runs.get(run.id),
        batch,
        steps: init.steps as RunStep[],
        commitMs: performance.now() - started,
        created: true,
      });
    }
    return out;
  };

  // An event's runs are created together (runtime/events.ts): each created one is told as createRun's is.
  const recordEvent = store.recordEvent.bind(store);
  store.recordEvent = async (deliveries, check) => {
    const started = performance.now();
    // A key reused for another input is the caller's refusal (check), not a write the store failed.
    let refused = false;
    const checked: typeof check = (found, index) => {
      try {
        check(found, index);
      } catch (err) {
        refused = true;
        throw err;
      }
    };
    let out: Awaited<ReturnType<Store['recordEvent']>>;
    try {
      out = await recordEvent(deliveries, checked);
    } catch (err) {
      const ms = performance.now() - started;
      if (!refused) for (const d of deliveries) if (d.kind === 'run') tellFailed(d.run.id, err, ms);
      throw err;
    }
    const commitMs = performance.now() - started;
    deliveries.forEach((d, i) => {
      const done = out[i];
      if (d.kind !== 'run' || done?.kind !== 'run') return;
      remember(done.run);
      if (!done.created) return;
      const batch: CommitBatch = { runId: d.run.id, expectSeq: 0, ...d.init };
      tell({ run: runs.get(d.run.id), batch, steps: d.init.steps as RunStep[], commitMs, created: true });
    });
    return out;
  };

  const getRun = store.getRun.bind(store);
  store.getRun = async (id) => {
    const run = await getRun(id);
    remember(run);
    return run;
  };
  const loadRun = store.loadRun.bind(store);
  store.loadRun = async (id) => {
    const snapshot = await loadRun(id);
    remember(snapshot?.run);
    return snapshot;
  };
  const claimNextRuns = store.claimNextRuns.bind(store);
  store.claimNextRuns = async (...args): Promise<RunSnapshot[]> => {
    const claimed = await claimNextRuns(...args);
    for (const s of claimed) remember(s.run);
    if (claimed.length > 0) {
      const leased = claimed.map((s) => s.run);
      for (const o of observers) {
        try {
          o.claimed?.(leased, args[2]);
        } catch (err) {
          onError(err);
        }
      }
    }
    return claimed;
  };
  return store;
}
