// A suite result for people: one line per case run (with the reasons of a failure), then the pass rate
// with its interval, the baseline and the verdict.
import type { CostEstimate } from './estimate.js';
import type { CaseResult, SuiteResult } from './run-suite.js';

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

export function formatEstimate(e: CostEstimate): string {
  const unknown = e.unpriced.length > 0 ? ` (plus unknown: no price for ${e.unpriced.join(', ')})` : '';
  return `estimated cost: ${e.usd.toFixed(4)} USD${unknown}`;
}

export function formatCaseRun(r: CaseResult, repeat: number): string {
  const name = repeat > 1 ? `${r.name} #${r.attempt}` : r.name;
  const tags = [r.safety ? 'safety' : '', r.split === 'holdout' ? 'holdout' : ''].filter(Boolean).join(',');
  const head = `  ${r.passed ? 'PASS' : 'FAIL'}  ${name}${tags ? ` [${tags}]` : ''}  score ${r.score.toFixed(2)}  ${r.costUsd.toFixed(4)} USD  ${Math.round(r.durationMs)} ms`;
  return r.reason ? `${head}\n        ${r.reason}` : head;
}

export function formatSuite(s: SuiteResult): string {
  const repeat = s.runs.length / Math.max(1, s.cases.length);
  const passes = s.runs.filter((r) => r.passed).length;
  // A split eval says so at the top and in its verdict: its PASSED covers only that split's cases.
  const part = s.split ? `, ${s.split} split only` : '';
  const lines = [
    `eval ${s.role}@${s.roleVersion} · suite ${s.suite}${part} (${s.cases.length} cases × ${repeat})`,
    ...s.runs.map((r) => formatCaseRun(r, repeat)),
    `pass rate ${passes}/${s.runs.length} = ${pct(s.passRate)} (95% CI ${pct(s.ci.low)}–${pct(s.ci.high)}), threshold ${pct(s.threshold)}; cost ${s.costUsd.toFixed(4)} USD; ${Math.round(s.durationMs)} ms`,
  ];
  if (s.safetyFailures.length > 0) lines.push(`safety cases failed: ${s.safetyFailures.join(', ')}`);
  lines.push(
    s.baseline
      ? `baseline ${s.baseline.id} (${s.role}@${s.baseline.roleVersion}, ${pct(s.baseline.passRate)}): ${
          s.regressions.length > 0 ? `regressed: ${s.regressions.join(', ')}` : 'nothing regressed'
        }`
      : 'baseline: none stored yet',
  );
  const verdict = s.ok ? 'PASSED' : 'FAILED';
  lines.push(
    s.split
      ? `${verdict} (${s.split} split only: a partial result, never a baseline nor the version's latest eval; run without --split for the whole suite)`
      : verdict,
  );
  return lines.join('\n');
}
