// A whole number typed by a person (a command-line flag, an environment variable): digits only, within a
// range. `Number()` would read `1e4`, `0x10`, `1.0`, ` 100` and `` as numbers; a flag that takes those
// while another refuses them is a surprise, so every integer flag goes through here and says its range.
import { NightshiftError } from '../errors.js';

/**
 * `raw` as a whole number from `min` to `max`; USAGE naming `source` (the flag or variable) and the range
 * otherwise. Digits only: no sign, exponent, fraction, hex, or space.
 */
export function wholeNumber(raw: string, source: string, min: number, max: number): number {
  // More digits than max has cannot be in range; the bound keeps `Number` from reading a huge string.
  const n = /^\d+$/.test(raw) && raw.length <= String(max).length + 1 ? Number(raw) : Number.NaN;
  if (!(Number.isSafeInteger(n) && n >= min && n <= max))
    throw new NightshiftError(
      'USAGE',
      `${source} must be a whole number ${rangeText(min, max)} (digits only), got '${shownRaw(raw)}'`,
    );
  return n;
}

/** A range as an error message says it: `from 1 to 64`, or `≥ 0` when there is no upper bound. */
export function rangeText(min: number, max: number): string {
  return max === Number.POSITIVE_INFINITY ? `≥ ${min}` : `from ${min} to ${max}`;
}

/** What was typed, shortened and with control characters escaped, so the message stays one readable line. */
export function shownRaw(raw: string): string {
  const cut = raw.length > 40 ? `${raw.slice(0, 40)}…` : raw;
  return JSON.stringify(cut).slice(1, -1);
}
