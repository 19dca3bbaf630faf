// The gauges read when Prometheus scrapes, not on any run's path: queue depth and continuous agents'
// heartbeats from the store (one cheap query per role, cached briefly so a burst of scrapes, or several
// Prometheis, cost one round of queries), and this process's worker (runs in flight, slots).
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AgentRecord } from '../../store/records/agents.js';
import type { Store } from '../../store/types.js';
import type { WorkerGauges } from './workers.js';

/** What the gauges read, known once serve has opened its runtime and started its worker. */
export interface GaugeSources {
  store: Pick<Store, 'countRuns' | 'listAgents' | 'outboxDepth'>;
  /** Runs executing in this process now. */
  active(): number;
  /** Runs this process executes at a time. */
  slots: number;
  /** Continuous roles whose agent this process holds. */
  agents(): string[];
}

export interface GaugeOptions {
  /** The roles served (job roles get a queue depth, continuous ones a heartbeat age). */
  roles: readonly { name: string; mode: 'job' | 'continuous' }[];
  /** How long a store read answers scrapes (default 2 s). */
  cacheMs?: number;
  now?: () => number;
}

interface StoreFigures {
  queued: Record<string, number>;
  agents: AgentRecord[];
  outbox: number;
}

export interface Gauges {
  attach(sources: GaugeSources): void;
  /** This process's worker gauges (zero before attach). */
  local(): WorkerGauges;
  /** Other processes' worker gauges, added to this one's at each scrape (serve --workers). */
  sumWith(others: () => WorkerGauges): void;
}

export function defineGauges(registry: Registry, o: GaugeOptions): Gauges {
  const now = o.now ?? Date.now;
  const cacheMs = o.cacheMs ?? 2000;
  const served = new Set(o.roles.map((r) => r.name));
  const jobRoles = o.roles.filter((r) => r.mode === 'job').map((r) => r.name);
  let sources: GaugeSources | undefined;
  let cached: { at: number; figures: Promise<StoreFigures> } | undefined;
  let others: (() => WorkerGauges) | undefined;
  const local = (): WorkerGauges =>
    sources
      ? { runsInFlight: sources.active(), workerSlots: sources.slots, agentsHeld: sources.agents().length }
      : { runsInFlight: 0, workerSlots: 0, agentsHeld: 0 };
  /** This process's figure plus the other processes'. */
  const summed = (which: keyof WorkerGauges) => local()[which] + (others?.()[which] ?? 0);
  const readFailures = new Counter({
    name: 'nightshift_metrics_store_read_failures_total',
    help: 'Scrapes whose store read (queue depth, agents) failed; those gauges are then left out.',
    registers: [registry],
  });

  async function readStore(s: GaugeSources): Promise<StoreFigures> {
    const queued: Record<string, number> = {};
    for (const role of jobRoles) queued[role] = (await s.store.countRuns(['queued'], role)).queued ?? 0;
    const agents = (await s.store.listAgents()).filter((a) => served.has(a.role));
    return { queued, agents, outbox: await s.store.outboxDepth() };
  }
  /** The store's figures, read at most once per cacheMs; undefined when the read failed. */
  async function storeFigures(): Promise<StoreFigures | undefined> {
    if (!sources) return undefined;
    const t = now();
    if (!cached || t - cached.at >= cacheMs) cached = { at: t, figures: readStore(sources) };
    try {
      return await cached.figures;
    } catch {
      cached = undefined;
      readFailures.inc();
      return undefined;
    }
  }

  new Gauge({
    name: 'nightshift_queue_depth',
    help: 'Queued runs waiting for a worker (including ones waiting out a retry backoff), by role.',
    labelNames: ['role'],
    registers: [registry],
    async collect() {
      this.reset();
      const f = await storeFigures();
      if (f) for (const [role, n] of Object.entries(f.queued)) this.set({ role }, n);
    },
  });
  new Gauge({
    name: 'nightshift_agent_heartbeat_age_seconds',
    help: "Seconds since a continuous role's agent last heartbeated (whichever process holds it).",
    labelNames: ['role'],
    registers: [registry],
    async collect() {
      this.reset();
      const f = await storeFigures();
      for (const a of f?.agents ?? [])
        if (a.heartbeatAt !== null) this.set({ role: a.role }, Math.max(0, now() - a.heartbeatAt) / 1000);
    },
  });
  new Gauge({
    name: 'nightshift_notification_outbox_depth',
    help: 'Notifications to people not yet sent (pending or waiting out a retry backoff), in the whole store.',
    registers: [registry],
    async collect() {
      this.reset();
      const f = await storeFigures();
      if (f) this.set(f.outbox);
    },
  });
  new Gauge({
    name: 'nightshift_runs_in_flight',
    help: 'Runs this process (and its --workers children) are executing now.',
    registers: [registry],
    collect() {
      this.set(summed('runsInFlight'));
    },
  });
  new Gauge({
    name: 'nightshift_worker_slots',
    help: 'Runs this process (and its --workers children) execute at a time (--concurrency each).',
    registers: [registry],
    collect() {
      this.set(summed('workerSlots'));
    },
  });
  new Gauge({
    name: 'nightshift_agents_held',
    help: 'Continuous agents this process (and its --workers children) hold.',
    registers: [registry],
    collect() {
      this.set(summed('agentsHeld'));
    },
  });
  return {
    attach(s) {
      sources = s;
    },
    local,
    sumWith(read) {
      others = read;
    },
  };
}
