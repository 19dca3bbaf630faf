// The `nightshift stats` report: the store's grouped rows (StatsReads.statsRows) turned into one entry
// per role and role version, with the rates worked out. The field names are a public contract (the
// `--json` output, docs/cli.md): add fields, never rename or remove one.

import { RUN_STATUSES, TERMINAL_STATUSES } from '../domain.js';
import { roundUsd } from '../money.js';
import type {
  StatsDistribution,
  StatsFilter,
  StatsGroup,
  StatsOptions,
  StatsPercentiles,
  StatsReads,
  StatsRows,
} from '../store/types.js';

/** The policy's decisions as the report names them (the ledger stores allow/draft/deny/escalate). */
const DECISION_NAMES = { allow: 'allowed', draft: 'drafted', deny: 'denied', escalate: 'escalated' } as const;
type DecisionName = (typeof DECISION_NAMES)[keyof typeof DECISION_NAMES];

const APPROVAL_STATUSES = ['pending', 'approved', 'rejected', 'cancelled'] as const;

export interface RoleStats {
  role: string;
  roleVersion: string;
  runs: {
    total: number;
    /** Every run status, 0 when none. */
    byStatus: Record<string, number>;
    /** Runs that ended (succeeded, failed or cancelled): the denominator of the rates. */
    finished: number;
    successRate: number | null;
    failureRate: number | null;
    /** Failed runs by error code: how many, and their share of finished runs. */
    failuresByCode: Record<string, { count: number; rate: number }>;
  };
  latency: {
    /** Creation to the start of the first piece of work (a queued run's wait for a worker). */
    queueWaitMs: StatsPercentiles;
    /** Creation to finish, finished runs (paused time included). */
    durationMs: StatsPercentiles;
    /** Time spent executing, finished runs (paused time excluded). */
    activeMs: StatsPercentiles;
  };
  toolCalls: {
    total: number;
    byTool: Record<string, number>;
    byDecision: Record<DecisionName, number>;
    /** By ledger status: succeeded, failed, denied, drafted, rejected, held, answered, pending, started. */
    byOutcome: Record<string, number>;
  };
  cost: {
    /** Every run's model cost, finished or not. */
    totalUsd: number;
    /** Per finished run: the mean and the percentiles. */
    perTask: { meanUsd: number | null } & StatsPercentiles;
    tokens: { input: number; output: number; cachedInput: number };
  };
  escalations: {
    total: number;
    /** Runs with at least one escalation, and their share of all runs. */
    escalatedRuns: number;
    rate: number | null;
    byCategory: Record<string, number>;
  };
  approvals: {
    total: number;
    byStatus: Record<(typeof APPROVAL_STATUSES)[number], number>;
    /** Of the decided change sets (approved + rejected). */
    approveRate: number | null;
    rejectRate: number | null;
    /** Request to decision, decided change sets. */
    timeToDecisionMs: StatsPercentiles;
  };
}

export interface StatsReport {
  filter: { role: string | null; version: string | null; since: string | null };
  groups: RoleStats[];
}

const ratio = (n: number, of: number): number | null => (of > 0 ? n / of : null);
const keyOf = (g: StatsGroup) => `${g.role}\u0000${g.roleVersion}`;
const bump = (m: Record<string, number>, k: string, n: number) => {
  m[k] = (m[k] ?? 0) + n;
};
const noValues = (): StatsPercentiles => ({ count: 0, p50: null, p95: null, p99: null });

function emptyStats(g: StatsGroup): RoleStats {
  return {
    role: g.role,
    roleVersion: g.roleVersion,
    runs: {
      total: 0,
      byStatus: Object.fromEntries(RUN_STATUSES.map((s) => [s, 0])),
      finished: 0,
      successRate: null,
      failureRate: null,
      failuresByCode: {},
    },
    latency: { queueWaitMs: noValues(), durationMs: noValues(), activeMs: noValues() },
    toolCalls: {
      total: 0,
      byTool: {},
      byDecision: { allowed: 0, drafted: 0, denied: 0, escalated: 0 },
      byOutcome: {},
    },
    cost: {
      totalUsd: 0,
      perTask: { meanUsd: null, ...noValues() },
      tokens: { input: 0, output: 0, cachedInput: 0 },
    },
    escalations: { total: 0, escalatedRuns: 0, rate: null, byCategory: {} },
    approvals: {
      total: 0,
      byStatus: { pending: 0, approved: 0, rejected: 0, cancelled: 0 },
      approveRate: null,
      rejectRate: null,
      timeToDecisionMs: noValues(),
    },
  };
}

/** Builds the report from the store's rows: groups sorted by role, then version. */
export function buildReport(rows: StatsRows, filter: StatsFilter): StatsReport {
  const groups = new Map<string, RoleStats>();
  const of = (g: StatsGroup): RoleStats => {
    const found = groups.get(keyOf(g));
    if (found) return found;
    const s = emptyStats(g);
    groups.set(keyOf(g), s);
    return s;
  };
  const finishedCost = new Map<RoleStats, number>();
  for (const r of rows.runs) {
    const s = of(r);
    s.runs.total += r.count;
    bump(s.runs.byStatus, r.status, r.count);
    s.cost.totalUsd += r.costUsd;
    s.cost.tokens.input += r.inputTokens;
    s.cost.tokens.output += r.outputTokens;
    s.cost.tokens.cachedInput += r.cachedInputTokens;
    if ((TERMINAL_STATUSES as readonly string[]).includes(r.status)) {
      s.runs.finished += r.count;
      finishedCost.set(s, (finishedCost.get(s) ?? 0) + r.costUsd);
    }
  }
  const failures = new Map<RoleStats, Record<string, number>>();
  for (const r of rows.failures) {
    const s = of(r);
    const byCode = failures.get(s) ?? {};
    failures.set(s, byCode);
    bump(byCode, r.code, r.count);
  }
  for (const r of rows.toolCalls) {
    const t = of(r).toolCalls;
    t.total += r.count;
    bump(t.byTool, r.tool, r.count);
    const decision = DECISION_NAMES[r.decision as keyof typeof DECISION_NAMES];
    if (decision) t.byDecision[decision] += r.count;
    bump(t.byOutcome, r.status, r.count);
  }
  for (const r of rows.escalations) {
    const e = of(r).escalations;
    e.total += r.count;
    bump(e.byCategory, r.category, r.count);
  }
  for (const r of rows.escalatedRuns) of(r).escalations.escalatedRuns += r.count;
  for (const r of rows.approvals) {
    const a = of(r).approvals;
    a.total += r.count;
    bump(a.byStatus, r.status, r.count);
  }
  const slot: Record<StatsDistribution, (s: RoleStats, p: StatsPercentiles) => void> = {
    queueWaitMs: (s, p) => (s.latency.queueWaitMs = p),
    durationMs: (s, p) => (s.latency.durationMs = p),
    activeMs: (s, p) => (s.latency.activeMs = p),
    costUsd: (s, p) => (s.cost.perTask = { ...s.cost.perTask, ...p }),
    decisionMs: (s, p) => (s.approvals.timeToDecisionMs = p),
  };
  for (const r of rows.distributions) {
    const { count, p50, p95, p99 } = r;
    slot[r.name](of(r), { count, p50, p95, p99 });
  }
  for (const s of groups.values()) {
    const finished = s.runs.finished;
    s.runs.successRate = ratio(s.runs.byStatus.succeeded ?? 0, finished);
    s.runs.failureRate = ratio(s.runs.byStatus.failed ?? 0, finished);
    for (const [code, count] of Object.entries(failures.get(s) ?? {}).sort(([a], [b]) => (a < b ? -1 : 1)))
      s.runs.failuresByCode[code] = { count, rate: ratio(count, finished) ?? 0 };
    // Money to the nano-dollar (src/money.ts): sums of float prices carry noise (0.33000000000000003).
    s.cost.totalUsd = roundUsd(s.cost.totalUsd);
    const mean = ratio(finishedCost.get(s) ?? 0, finished);
    s.cost.perTask.meanUsd = mean === null ? null : roundUsd(mean);
    for (const k of ['p50', 'p95', 'p99'] as const) {
      const v = s.cost.perTask[k];
      if (v !== null) s.cost.perTask[k] = roundUsd(v);
    }
    s.escalations.rate = ratio(s.escalations.escalatedRuns, s.runs.total);
    const decided = s.approvals.byStatus.approved + s.approvals.byStatus.rejected;
    s.approvals.approveRate = ratio(s.approvals.byStatus.approved, decided);
    s.approvals.rejectRate = ratio(s.approvals.byStatus.rejected, decided);
  }
  return {
    filter: {
      role: filter.role ?? null,
      version: filter.version ?? null,
      since: filter.since === undefined ? null : new Date(filter.since).toISOString(),
    },
    groups: [...groups.values()].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0)),
  };
}

/**
 * The report for the runs `filter` selects: closed hours from the store's rollup (filled by this call when
 * hours closed since the last), the rest from the runs. `options.rollup: false` reads the runs alone.
 */
export async function computeStats(
  store: StatsReads,
  filter: StatsFilter = {},
  options?: StatsOptions,
): Promise<StatsReport> {
  return buildReport(await store.statsRows(filter, options), filter);
}
