// The `nightshift stats` report for people: one block per role and version, a line per figure.
import type { StatsPercentiles } from '../store/types.js';
import type { RoleStats, StatsReport } from './report.js';

const pct = (r: number | null) => (r === null ? '-' : `${(r * 100).toFixed(1)}%`);
const usd = (v: number | null, digits = 4) => (v === null ? '-' : `$${v.toFixed(digits)}`);

function ms(v: number | null): string {
  if (v === null) return '-';
  if (v < 1_000) return `${Math.round(v)}ms`;
  if (v < 60_000) return `${(v / 1_000).toFixed(1)}s`;
  if (v < 3_600_000) return `${(v / 60_000).toFixed(1)}m`;
  return `${(v / 3_600_000).toFixed(1)}h`;
}

/** `a 3, b 1`, largest first; `-` when empty. */
function counts(m: Record<string, number>): string {
  const parts = Object.entries(m)
    .filter(([, n]) => n > 0)
    .sort(([ka, a], [kb, b]) => b - a || (ka < kb ? -1 : 1))
    .map(([k, n]) => `${k || '(none)'} ${n}`);
  return parts.length ? parts.join(', ') : '-';
}

const spread = (p: StatsPercentiles, unit: (v: number | null) => string) =>
  `${unit(p.p50)} / ${unit(p.p95)} / ${unit(p.p99)}  (${p.count})`;

function block(s: RoleStats): string {
  const failures = Object.entries(s.runs.failuresByCode)
    .map(([code, f]) => `${code || '(none)'} ${f.count} (${pct(f.rate)})`)
    .join(', ');
  const a = s.approvals;
  return [
    `${s.role} ${s.roleVersion}`,
    `  runs         ${s.runs.total}: ${counts(s.runs.byStatus)}`,
    `  outcome      success ${pct(s.runs.successRate)}, failure ${pct(s.runs.failureRate)} of ${s.runs.finished} finished`,
    `  failures     ${failures || '-'}`,
    '  latency      p50 / p95 / p99  (runs)',
    `    queue wait ${spread(s.latency.queueWaitMs, ms)}`,
    `    duration   ${spread(s.latency.durationMs, ms)}`,
    `    active     ${spread(s.latency.activeMs, ms)}`,
    `  tool calls   ${s.toolCalls.total}: ${counts(s.toolCalls.byDecision)}`,
    `    by tool    ${counts(s.toolCalls.byTool)}`,
    `    by outcome ${counts(s.toolCalls.byOutcome)}`,
    `  cost         total ${usd(s.cost.totalUsd, s.cost.totalUsd > 0 && s.cost.totalUsd < 0.01 ? 4 : 2)}; per task mean ${usd(s.cost.perTask.meanUsd)}, p50 / p95 / p99 ${spread(s.cost.perTask, (v) => usd(v))}`,
    `  tokens       input ${s.cost.tokens.input}, output ${s.cost.tokens.output}, cached input ${s.cost.tokens.cachedInput}`,
    `  escalations  ${s.escalations.total} in ${s.escalations.escalatedRuns} runs (${pct(s.escalations.rate)} of runs): ${counts(s.escalations.byCategory)}`,
    `  approvals    ${a.total}: ${counts(a.byStatus)}; approved ${pct(a.approveRate)}, rejected ${pct(a.rejectRate)}`,
    `    decided in ${spread(a.timeToDecisionMs, ms)}`,
  ].join('\n');
}

export function formatStats(report: StatsReport): string {
  const f = report.filter;
  const scope = [
    f.role ? `role ${f.role}` : 'all roles',
    f.version ? `version ${f.version}` : '',
    f.since ? `runs created since ${f.since}` : 'all runs',
  ]
    .filter(Boolean)
    .join(', ');
  if (report.groups.length === 0) return `no runs (${scope})\n`;
  return `${scope}\n\n${report.groups.map(block).join('\n\n')}\n`;
}
