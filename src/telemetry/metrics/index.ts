// Prometheus metrics for `nightshift serve`: counters and histograms derived from every batch the store
// accepted (observer.ts, through the commit tap), gauges read at scrape time (gauges.ts), and the
// process's own figures (prom-client's default process_* and nodejs_* metrics), in one registry of
// their own, rendered in the text format at GET /metrics.
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Role } from '../../roles/schema.js';
import { delegateToolName } from '../../roles/specialists.js';
import type { CommitObserver } from '../commit-tap.js';
import { defineCommitMetrics } from './definitions.js';
import { defineGauges, type GaugeSources } from './gauges.js';
import { metricsObserver } from './observer.js';
import { CounterFamily, HistogramFamily } from './series.js';
import type { MetricsSnapshot, WorkerMetrics } from './workers.js';

export type { GaugeSources } from './gauges.js';
export { answerMetricsRequests, type MetricsSnapshot, type WorkerMetrics, workerMetrics } from './workers.js';

/** The model providers nightshift has; the roles' own specs (`provider:id`) add theirs. */
const PROVIDERS = ['anthropic', 'openai', 'script', 'claude-code', 'codex'];

export interface ServeMetrics {
  /** Give to createRuntime({ observers }). */
  observer: CommitObserver;
  /** Once the worker runs: where the scrape-time gauges read from. */
  attach(sources: GaugeSources): void;
  /** A notification this process tried to send: sent, retry, failed, cancelled (its matter was decided). */
  notification(channel: string, outcome: string): void;
  /** The text exposition format, and its content type. */
  render(): Promise<{ contentType: string; body: string }>;
  /** This process's counters, histograms and worker gauges as plain data (a worker child sends it). */
  snapshot(): MetricsSnapshot;
  /** serve --workers: every scrape asks the children first and adds their figures (workers.ts). */
  includeWorkers(workers: WorkerMetrics): void;
}

/** Levels of specialists followed at most: more than any `delegation.maxDepth` allows. */
const MAX_DEPTH = 16;

/** `roles` and every specialist below them, once each by name. */
function withSpecialists(roles: readonly LabelledRole[]): LabelledRole[] {
  const out = new Map<string, LabelledRole>();
  const walk = (role: LabelledRole, depth: number) => {
    if (out.has(role.name) || depth > MAX_DEPTH) return;
    out.set(role.name, role);
    for (const s of role.specialists ?? []) walk(s, depth + 1);
  };
  for (const r of roles) walk(r, 0);
  return [...out.values()];
}

/** How long a scrape waits for the children's snapshots before using the ones it has. */
const WORKER_ANSWER_MS = 1000;

/** What the labels need of a role; `specialists` (loaded) adds theirs, down the chain. */
export type LabelledRole = Pick<Role, 'name' | 'mode' | 'tools' | 'model'> & {
  specialists?: readonly LabelledRole[] | undefined;
};

export interface ServeMetricsOptions {
  /**
   * The roles serve was given: the only role (and tool) label values, with their specialists (whose child
   * runs serve's workers drive) and each `delegate.<specialist>` tool; others are "other".
   */
  roles: readonly LabelledRole[];
  /** How long store reads answer scrapes (default 2 s). */
  cacheMs?: number;
  /** Include process_* and nodejs_* (default true). */
  processMetrics?: boolean;
  now?: () => number;
}

export function createServeMetrics(o: ServeMetricsOptions): ServeMetrics {
  const registry = new Registry();
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const commitMetrics = defineCommitMetrics(registry);
  // A specialist's turns, tools and cost are counted under its own name, as `stats` groups them: serve
  // drives its child runs, though it was not given its file.
  const labelled = withSpecialists(o.roles);
  const observer = metricsObserver(commitMetrics, {
    roles: labelled.map((r) => r.name),
    // `escalate` is the built-in tool a model asks a human with.
    tools: [
      'escalate',
      ...labelled.flatMap((r) => [...r.tools, ...(r.specialists ?? []).map((s) => delegateToolName(s.name))]),
    ],
    providers: [...PROVIDERS, ...labelled.map((r) => r.model.split(':')[0]!)],
  });
  const gauges = defineGauges(registry, {
    roles: o.roles,
    ...(o.cacheMs !== undefined ? { cacheMs: o.cacheMs } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
  const families = Object.values(commitMetrics);
  let workers: WorkerMetrics | undefined;
  // Sent by the process that runs the outbox sender (the daemon), so not summed across --workers children.
  const notifications = new Counter({
    name: 'nightshift_notifications_total',
    help: 'Notifications this process tried to send, by channel and outcome (sent, retry, failed, cancelled, lost_lease).',
    labelNames: ['channel', 'outcome'],
    registers: [registry],
  });
  return {
    observer,
    attach: gauges.attach,
    notification: (channel, outcome) => notifications.inc({ channel, outcome }),
    async render() {
      await workers?.refresh(WORKER_ANSWER_MS);
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
    snapshot() {
      const out: MetricsSnapshot = { counters: {}, histograms: {}, gauges: gauges.local() };
      for (const f of families) {
        if (f instanceof CounterFamily) out.counters[f.name] = f.snapshot();
        else if (f instanceof HistogramFamily) out.histograms[f.name] = f.snapshot();
      }
      return out;
    },
    includeWorkers(w) {
      workers = w;
      for (const f of families) {
        if (f instanceof CounterFamily) f.mergeFrom(() => w.counters(f.name));
        else if (f instanceof HistogramFamily) f.mergeFrom(() => w.histograms(f.name));
      }
      gauges.sumWith(() => w.gauges());
      new Gauge({
        name: 'nightshift_worker_processes',
        help: 'Processes whose figures this scrape includes: this one and its live --workers children.',
        registers: [registry],
        collect() {
          this.set(1 + w.live());
        },
      });
      new Counter({
        name: 'nightshift_worker_exits_total',
        help: '--workers children that exited (serve starts another in its place).',
        registers: [registry],
        collect() {
          this.reset();
          this.inc(w.exits());
        },
      });
    },
  };
}
