// Label values with a bounded set: every distinct value is a time series Prometheus keeps forever, so a
// label never takes a value from outside a set fixed when serve starts (role and tool names from the role
// files, the domain's enums) or a small set of the first values seen (error codes). Anything else is
// counted under "other", so a model inventing tool names or a tool inventing error codes cannot grow
// the series without bound.

/** What an out-of-set value is counted as. */
export const OTHER = 'other';

/** A label limited to `known`; anything else (or nothing) is "other". */
export function knownLabel(known: Iterable<string>): (value: string | undefined) => string {
  const set = new Set(known);
  return (value) => (value !== undefined && set.has(value) ? value : OTHER);
}

/**
 * A label limited to the first `max` distinct values shaped like an error code (`STORE_CONFLICT`);
 * later values and values of another shape are "other".
 */
export function firstSeenCodeLabel(max: number): (value: string | undefined) => string {
  const seen = new Set<string>();
  return (value) => {
    if (value === undefined || !/^[A-Z][A-Z0-9_]{0,63}$/.test(value)) return OTHER;
    if (seen.has(value)) return value;
    if (seen.size >= max) return OTHER;
    seen.add(value);
    return value;
  };
}
