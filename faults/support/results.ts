// One row of the fault table per scenario: written to dist/faults/results/<id>.json as soon as it is
// measured (before the scenario's assertions, so a failing scenario still reports what it saw), and
// gathered by faults/run.ts into dist/faults/results.md, the table docs/reliability.md shows.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../test/support/paths.js';

export const resultsDir = join(repoRoot, 'dist', 'faults', 'results');

export interface FaultRow {
  /** Stable id, also the file name; rows are listed in id order. */
  id: string;
  injection: string;
  store: 'sqlite' | 'postgres';
  /** Runs accepted (202) or started, whose fate the checker follows. */
  started: number;
  /** Runs that reached `succeeded`. */
  finished: number;
  /** Runs that paused for a human as the contract requires (an unknown outcome, a draft). */
  paused: number;
  /** Accepted runs missing from the store, or succeeded runs whose effect never happened. */
  lost: number;
  /** Effects applied more than once for one idempotency key (counted by the payments server). */
  duplicated: number;
  /** Runs still queued or running when the scenario's deadline passed. */
  stuck: number;
  /** From the end of the injection to every run settled; null when they did not all settle; absent when
   *  the injection leaves nothing to recover from. */
  recoveryMs?: number | null;
  /** What the scenario holds the system to (its recovery bound, the human steps it takes). */
  contract: string;
  /** Every way the run broke the contract; empty when it held. */
  problems: string[];
  notes?: string;
}

export function record(row: FaultRow): void {
  mkdirSync(resultsDir, { recursive: true });
  writeFileSync(join(resultsDir, `${row.id}.json`), `${JSON.stringify(row, null, 2)}\n`);
}

export function readRows(): FaultRow[] {
  let files: string[];
  try {
    files = readdirSync(resultsDir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
  return files
    .sort()
    .map((f) => JSON.parse(readFileSync(join(resultsDir, f), 'utf8')) as FaultRow)
    .sort((a, b) => a.id.localeCompare(b.id));
}

function seconds(ms: number | null | undefined): string {
  if (ms === undefined) return 'n/a';
  return ms === null ? 'did not recover' : `${(ms / 1000).toFixed(1)} s`;
}

/** The fault table in Markdown. */
export function renderTable(rows: readonly FaultRow[]): string {
  const head =
    '| injection | store | started | finished | paused for a human | lost | duplicated | stuck | recovery | held? |\n' +
    '|---|---|---|---|---|---|---|---|---|---|\n';
  const body = rows
    .map(
      (r) =>
        `| ${r.injection} | ${r.store} | ${r.started} | ${r.finished} | ${r.paused} | ${r.lost} | ${r.duplicated} | ${r.stuck} | ${seconds(r.recoveryMs)} | ${r.problems.length === 0 ? 'yes' : `**no**: ${r.problems.join('; ')}`} |`,
    )
    .join('\n');
  const contracts = rows.map(
    (r) => `- **${r.injection}** (${r.store}): ${r.contract}${r.notes ? ` ${r.notes}` : ''}`,
  );
  return `${head}${body}\n\nWhat each scenario holds the system to:\n\n${contracts.join('\n')}\n`;
}
