// `--since`: a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 date or date-time.
import { namesRealDay } from '../calendar-date.js';
import { NightshiftError } from '../errors.js';

/** The furthest a JavaScript Date reaches from 1970 either way (ECMA-262 21.4.1.1). */
const MAX_DATE_MS = 8.64e15;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export const SINCE_FORMATS =
  'a duration back from now (30m, 24h, 7d, 2w) or an ISO date or date-time (2026-11-30, 2026-11-30T06:00:00Z)';

/** Epoch milliseconds `text` names, relative to `now` for a duration; a USAGE error otherwise. */
export function parseSince(text: string, now: number): number {
  const duration = /^(\d+)([mhdw])$/.exec(text.trim());
  if (duration) {
    const at = now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
    // Past the first date a Date can hold (271,821 BC), the reports' `since` cannot be written back:
    // `999999999999w` failed as an internal error after the store was opened.
    if (at >= -MAX_DATE_MS) return at;
    throw new NightshiftError(
      'USAGE',
      `--since '${text}' reaches back further than dates go: give ${SINCE_FORMATS}`,
    );
  }
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const at = Date.parse(text.trim());
    // A day its month does not have (`2026-02-30`) is refused, not moved into the next month.
    if (Number.isFinite(at) && namesRealDay(text)) return at;
  }
  throw new NightshiftError('USAGE', `--since '${text}' is not understood: give ${SINCE_FORMATS}`);
}
