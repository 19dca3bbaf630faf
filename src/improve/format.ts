// Improvement rounds for people: one block per round (outcome, why, the paired comparison, cost and
// latency side by side), as `nightshift improve` prints them and `--history` lists them.
import type { ImprovementRoundRecord } from '../store/types.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatRound(r: ImprovementRoundRecord): string {
  const when = new Date(r.createdAt).toISOString();
  const to = r.candidateVersion ? ` → ${r.candidateVersion}` : '';
  const lines = [`round ${r.round} · ${when} · ${r.role}@${r.baseVersion}${to} · ${r.outcome.toUpperCase()}`];
  lines.push(`  ${r.reason}`);
  if (r.rationale) lines.push(`  rationale: ${r.rationale}`);
  if (r.changes) lines.push(`  changes: ${Object.keys(r.changes).join(', ')}`);
  const c = r.comparison;
  if (c) {
    lines.push(
      `  pass rate ${pct(c.activePassRate)} → ${pct(c.candidatePassRate)}, mean score ${c.activeMeanScore} → ${c.candidateMeanScore}`,
      `  per case run: cost ${c.activeCostUsd.toFixed(6)} → ${c.candidateCostUsd.toFixed(6)} USD, time ${Math.round(c.activeMs)} → ${Math.round(c.candidateMs)} ms`,
    );
  }
  if (r.promotionId) lines.push(`  promotion ${r.promotionId}`);
  lines.push(`  cost ${r.costUsd.toFixed(4)} USD (proposer + evals), ${r.durationMs} ms`);
  return lines.join('\n');
}

export function formatHistory(role: string, rounds: readonly ImprovementRoundRecord[]): string {
  if (rounds.length === 0) return `${role}: no improvement rounds recorded`;
  return [`${role}: ${rounds.length} improvement round(s), newest first`, ...rounds.map(formatRound)].join(
    '\n',
  );
}
