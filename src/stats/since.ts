// `--since`: a duration back from now (30m, 24h, 7d, 2w) or an ISO 8601 date or date-time.
import { NightshiftError } from '../errors.js';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
export const SINCE_FORMATS =
  'a duration back from now (30m, 24h, 7d, 2w) or an ISO date or date-time (2026-11-30, 2026-11-30T06:00:00Z)';

/** Epoch milliseconds `text` names, relative to `now` for a duration; a USAGE error otherwise. */
export function parseSince(text: string, now: number): number {
  const duration = /^(\d+)([mhdw])$/.exec(text.trim());
  if (duration) return now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS];
  if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text.trim())) {
    const at = Date.parse(text.trim());
    if (Number.isFinite(at)) return at;
  }
  throw new NightshiftError('USAGE', `--since '${text}' is not understood: give ${SINCE_FORMATS}`);
}
