// The answer of Store.countRuns from grouped rows: every status asked for, 0 when it had no rows.
import type { RunStatus } from './types.js';

export function countsOf(
  statuses: readonly RunStatus[],
  rows: readonly { status: string; n: number }[],
): Record<string, number> {
  const out: Record<string, number> = Object.fromEntries(statuses.map((st) => [st, 0]));
  for (const r of rows) out[r.status] = Number(r.n);
  return out;
}
