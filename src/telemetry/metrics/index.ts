// Prometheus metrics for `nightshift serve`: counters and histograms derived from every batch the store
// accepted (observer.ts, through the commit tap), gauges read at scrape time (gauges.ts), and the
// process's own figures (prom-client's default process_* and nodejs_* metrics), in one registry of
// their own, rendered in the text format at GET /metrics.
import { Counter, collectDefaultMetrics, Registry } from 'prom-client';
import type { Role } from '../../roles/schema.js';
import type { CommitObserver } from '../commit-tap.js';
import { defineCommitMetrics } from './definitions.js';
import { defineGauges, type GaugeSources } from './gauges.js';
import { metricsObserver } from './observer.js';

export type { GaugeSources } from './gauges.js';

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
}

export interface ServeMetricsOptions {
  /** The roles serve was given: the only role (and tool) label values; others are "other". */
  roles: readonly Pick<Role, 'name' | 'mode' | 'tools' | 'model'>[];
  /** How long store reads answer scrapes (default 2 s). */
  cacheMs?: number;
  /** Include process_* and nodejs_* (default true). */
  processMetrics?: boolean;
  now?: () => number;
}

export function createServeMetrics(o: ServeMetricsOptions): ServeMetrics {
  const registry = new Registry();
  if (o.processMetrics !== false) collectDefaultMetrics({ register: registry });
  const observer = metricsObserver(defineCommitMetrics(registry), {
    roles: o.roles.map((r) => r.name),
    // `escalate` is the built-in tool a model asks a human with.
    tools: ['escalate', ...o.roles.flatMap((r) => r.tools)],
    providers: [...PROVIDERS, ...o.roles.map((r) => r.model.split(':')[0]!)],
  });
  const gauges = defineGauges(registry, {
    roles: o.roles,
    ...(o.cacheMs !== undefined ? { cacheMs: o.cacheMs } : {}),
    ...(o.now ? { now: o.now } : {}),
  });
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
      return { contentType: registry.contentType, body: await registry.metrics() };
    },
  };
}
