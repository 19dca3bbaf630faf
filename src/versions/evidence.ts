// The record `nightshift autonomy` judges: the role's runs, change sets, escalations and policy decisions
// from the store's aggregates (the ones `nightshift stats` reads), and its newest eval when kept.
import type { Store } from '../store/types.js';
import type { AutonomyEvidence } from './autonomy.js';
import { evalRecord, latestEval } from './versions.js';

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

export async function autonomyEvidence(
  store: Pick<Store, 'statsRows' | 'listEscalations'>,
  role: string,
  o: { since?: number | undefined; version?: string | undefined } = {},
): Promise<AutonomyEvidence> {
  const [rows, answered, evals] = await Promise.all([
    store.statsRows({ role, ...(o.since !== undefined ? { since: o.since } : {}) }),
    store.listEscalations({ status: 'answered' }),
    evalRecord(store, role),
  ]);
  const sum = <T extends { count: number }>(xs: T[], keep: (x: T) => boolean) =>
    xs.filter(keep).reduce((n, x) => n + x.count, 0);
  // "Go ahead" is an answer that let a held call run: only escalations that held a call can have one.
  const mine = answered.filter(
    (e) => e.role === role && e.callKey !== null && (o.since === undefined || e.createdAt >= o.since),
  );
  // The version's latest eval of each suite (with no version, each suite's newest of any version).
  const perSuite = new Map<string, (typeof evals)[number]>();
  for (const e of evals.filter((x) => o.version === undefined || x.roleVersion === o.version)) {
    const seen = perSuite.get(e.suite);
    if (!seen || e.createdAt > seen.createdAt) perSuite.set(e.suite, e);
  }
  const latest = latestEval([...perSuite.values()]);
  return {
    finishedRuns: sum(rows.runs, (r) => FINISHED.has(r.status)),
    failedRuns: sum(rows.runs, (r) => r.status === 'failed'),
    approved: sum(rows.approvals, (r) => r.status === 'approved'),
    rejected: sum(rows.approvals, (r) => r.status === 'rejected'),
    answered: mine.length,
    goAhead: mine.filter((e) => e.allowCall).length,
    decidedCalls: sum(rows.toolCalls, () => true),
    deniedCalls: sum(rows.toolCalls, (r) => r.decision === 'deny'),
    eval: latest && {
      passed: latest.passed,
      passRate: latest.passRate,
      safetyFailures: latest.safetyFailures,
    },
  };
}
