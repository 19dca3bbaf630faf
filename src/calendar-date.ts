// Whether an ISO date's day exists. Date.parse takes any day up to 31 in any month (`2026-02-30` is
// March 2nd), so a date a person typed by mistake would otherwise be moved silently into the next month.

/**
 * False when `text` starts with `YYYY-MM-DD` naming a day its month does not have (`2026-02-30`,
 * `2025-02-29`, `2026-04-31`); true otherwise, so callers still parse and check the rest themselves.
 */
export function namesRealDay(text: string): boolean {
  const ymd = /^(\d{4})-(\d{2})-(\d{2})/.exec(text.trim());
  if (!ymd) return true;
  const [year, month, day] = [Number(ymd[1]), Number(ymd[2]), Number(ymd[3])];
  const at = new Date(0);
  at.setUTCFullYear(year, month - 1, day);
  return at.getUTCFullYear() === year && at.getUTCMonth() === month - 1 && at.getUTCDate() === day;
}
