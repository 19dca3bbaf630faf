// `serve --workers N`: the N − 1 worker-only children have no HTTP server, so the parent's /metrics adds
// their figures to its own. At each scrape the parent asks every live child for a snapshot of its
// counters, histograms and worker gauges over the child_process IPC channel, waits a short while, and
// sums what it has (the latest snapshot of each child, fresh or not). Counters and histograms are summed
// series by series; runs in flight, slots and agents held are summed into the same unlabelled gauges.
//
// Counters must never go backwards across a child's death: when a child exits, its last snapshot is
// folded into `retired` totals that every later scrape adds, and the child started in its place counts
// from zero on top of them. What a child counted after its last snapshot is lost when it is killed (a
// child stopped by serve sends a final snapshot as it stops), so the sums may miss the last scrape
// interval of a crashed child, but they never decrease.
import { z } from 'zod';
import { type CounterSnapshot, type HistogramSnapshot, sumCounters, sumHistograms } from './series.js';

/** What a process sends of its metrics: its commit counters and histograms by name, and its worker. */
export interface MetricsSnapshot {
  counters: Record<string, CounterSnapshot>;
  histograms: Record<string, HistogramSnapshot>;
  gauges: WorkerGauges;
}
/** The gauges that describe one process's worker, summed across processes. */
export interface WorkerGauges {
  runsInFlight: number;
  workerSlots: number;
  agentsHeld: number;
}

const labelValues = z.array(z.string());
const snapshotSchema = z.object({
  counters: z.record(z.string(), z.array(z.object({ values: labelValues, value: z.number() }))),
  histograms: z.record(
    z.string(),
    z.array(
      z.object({ values: labelValues, counts: z.array(z.number()), sum: z.number(), count: z.number() }),
    ),
  ),
  gauges: z.object({ runsInFlight: z.number(), workerSlots: z.number(), agentsHeld: z.number() }),
});

/** The IPC messages: the parent's request, and a child's answer (or its final word as it stops). */
const REQUEST = 'nightshift.metrics.request';
const SNAPSHOT = 'nightshift.metrics.snapshot';
const messageSchema = z.object({ type: z.literal(SNAPSHOT), snapshot: snapshotSchema });

/** The part of a forked ChildProcess the parent uses. */
export interface WorkerChannel {
  send(message: unknown, callback: (error: Error | null) => void): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'close', listener: () => void): unknown;
  readonly connected: boolean;
}

/** The parent's view of its children's metrics. */
export interface WorkerMetrics {
  /** Starts collecting from a forked child (call as soon as it is forked; retired when it closes). */
  add(child: WorkerChannel): void;
  /** Asks every live child for a snapshot and waits for the answers, at most `timeoutMs`. */
  refresh(timeoutMs: number): Promise<void>;
  counters(name: string): CounterSnapshot[];
  histograms(name: string): HistogramSnapshot[];
  /** The live children's worker gauges, summed (a dead child's in-flight runs are not in flight). */
  gauges(): WorkerGauges;
  /** Children currently live. */
  live(): number;
  /** Children that have exited since serve started (each is started again while serve runs). */
  exits(): number;
}

export function workerMetrics(): WorkerMetrics {
  /** Each live child's latest snapshot (undefined until it first answers). */
  const latest = new Map<WorkerChannel, MetricsSnapshot | undefined>();
  /** Waiting for each child's next answer. */
  const waiting = new Map<WorkerChannel, () => void>();
  /** The last snapshots of children that exited, summed: counted for ever. */
  const retired: MetricsSnapshot = { counters: {}, histograms: {}, gauges: NO_WORKER };

  let refreshing: Promise<void> | undefined;
  let exits = 0;

  async function ask(timeoutMs: number): Promise<void> {
    const asked: Promise<void>[] = [];
    for (const child of latest.keys()) {
      if (!child.connected) continue;
      asked.push(
        new Promise<void>((resolve) => {
          const timer = setTimeout(done, timeoutMs).unref();
          function done() {
            clearTimeout(timer);
            waiting.delete(child);
            resolve();
          }
          waiting.set(child, done);
          // With a callback, a channel closed under the send is reported here instead of as an 'error'
          // event: the child's last snapshot stands.
          child.send({ type: REQUEST }, (error) => {
            if (error) done();
          });
        }),
      );
    }
    await Promise.all(asked);
  }

  const everyone = () => [retired, ...[...latest.values()].filter((s) => s !== undefined)];
  return {
    add(child) {
      latest.set(child, undefined);
      child.on('message', (message) => {
        const m = messageSchema.safeParse(message);
        // Not ours (or from a build that speaks another shape): ignored, never counted half.
        if (!m.success || !latest.has(child)) return;
        latest.set(child, m.data.snapshot);
        waiting.get(child)?.();
      });
      // 'close', not 'exit': it comes after the IPC channel closed, so a final snapshot sent as the
      // child stopped has been received.
      child.once('close', () => {
        const last = latest.get(child);
        if (last) retire(retired, last);
        latest.delete(child);
        exits++;
        waiting.get(child)?.();
      });
    },
    refresh(timeoutMs) {
      // Scrapes at the same moment share one round of questions.
      refreshing ??= ask(timeoutMs).finally(() => {
        refreshing = undefined;
      });
      return refreshing;
    },
    counters: (name) => everyone().map((s) => s.counters[name] ?? []),
    histograms: (name) => everyone().map((s) => s.histograms[name] ?? []),
    gauges() {
      const sum = { ...NO_WORKER };
      for (const s of latest.values()) {
        if (!s) continue;
        sum.runsInFlight += s.gauges.runsInFlight;
        sum.workerSlots += s.gauges.workerSlots;
        sum.agentsHeld += s.gauges.agentsHeld;
      }
      return sum;
    },
    live: () => latest.size,
    exits: () => exits,
  };
}

const NO_WORKER: WorkerGauges = { runsInFlight: 0, workerSlots: 0, agentsHeld: 0 };

/** Adds an exited child's counters and histograms to `into` (its gauges died with it). */
function retire(into: MetricsSnapshot, last: MetricsSnapshot): void {
  for (const [name, series] of Object.entries(last.counters))
    into.counters[name] = sumCounters([into.counters[name] ?? [], series]);
  for (const [name, series] of Object.entries(last.histograms))
    into.histograms[name] = sumHistograms([into.histograms[name] ?? [], series]);
}

/**
 * In a worker-only child: answers the parent's requests with `snapshot()`. `stop()` sends a final
 * snapshot (what was counted since the last scrape) and stops listening, so the channel does not keep
 * the process alive. Does nothing without an IPC channel (a child started by hand, not forked).
 */
export function answerMetricsRequests(snapshot: () => MetricsSnapshot): { stop(): void } {
  const send = process.send?.bind(process);
  if (!send) return { stop() {} };
  const reply = () => {
    if (process.connected) send({ type: SNAPSHOT, snapshot: snapshot() });
  };
  const onMessage = (message: unknown) => {
    if ((message as { type?: unknown } | null)?.type === REQUEST) reply();
  };
  process.on('message', onMessage);
  return {
    stop() {
      reply();
      process.off('message', onMessage);
    },
  };
}
