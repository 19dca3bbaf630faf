// pino runs every top-level field of every line (and the message) through its wildcard redactor when a
// redaction path starts with `*`: that redactor re-parses each path, clones the value's own keys and then
// serializes the clone, which a Postgres burst worker's profile showed on every line it logs. Most values
// hold no field a path could censor, and for those the redactor's output is exactly what pino's own
// serializer writes for the value itself; this wraps the wildcard redactor so such values skip it.
//
// When the clone could serialize differently from the value, the redactor still runs: anything not an
// array, a Date or a plain object (a URL or an Error, whose clone has lost its internal state), any value
// with a `toJSON` (own, hidden or inherited: the clone may lack it or call it on the wrong object), and an
// own `__proto__` key (from JSON.parse: the clone's assignment sets its prototype instead of copying it).
// A value JSON.stringify cannot write (a cycle, a BigInt) also takes the redactor.

import { types } from 'node:util';
import { type Logger, pino } from 'pino';

type Stringifier = (value: unknown, stringifySafe?: unknown) => string | undefined;

const symbols = pino.symbols as unknown as Record<string, symbol | undefined>;
/** Marks a wrapped wildcard stringifier, so it is never wrapped twice and tests can see it is in place. */
const FAST_PATH = Symbol('nightshift.redactionFastPath');

/**
 * The keys (below a top-level field) that the `*`-first paths censor or descend through, or undefined when
 * some path's second segment is itself a wildcard (then every value may be censored: no fast path).
 */
export function wildcardSecondKeys(paths: readonly string[]): Set<string> | undefined {
  const keys = new Set<string>();
  for (const path of paths) {
    const segments = path.match(/[^.[\]]+|\[([^[\]]*?)\]/g) ?? [];
    if (segments[0] !== '*') continue;
    const second = segments[1];
    if (second === undefined) return undefined; // `*` alone censors every field
    const key = second.startsWith('[') ? second.slice(1, -1).replace(/^(["'`])(.*)\1$/, '$2') : second;
    if (key === '*') return undefined;
    keys.add(key);
  }
  return keys;
}

/**
 * Whether pino's wildcard redactor, given `value`, could write anything other than pino's serialization
 * of `value` itself. Only the value's own keys are looked at (the paths reach one level below a field,
 * and `headers` one more, which is not looked into: a value with headers always takes the redactor).
 */
function mayDiffer(value: unknown, keys: ReadonlySet<string>): boolean {
  if (value === null || typeof value !== 'object') return false;
  // A Proxy may answer `in` and getPrototypeOf differently from the for…in and hasOwnProperty the
  // redactor's copy uses (a "virtual" object listing `token` in ownKeys with no `has` trap): never skipped.
  if (types.isProxy(value)) return true;
  const proto = Object.getPrototypeOf(value);
  if (Array.isArray(value))
    // The redactor copies an array's elements into a fresh plain array: the same unless it has a toJSON.
    return proto !== Array.prototype || Object.hasOwn(value, 'toJSON');
  if (value instanceof Date) return proto !== Date.prototype || Object.hasOwn(value, 'toJSON');
  if (proto !== Object.prototype && proto !== null) return true;
  if ('toJSON' in value || Object.hasOwn(value, '__proto__')) return true;
  // `in`, as the redactor does: an own key is censored whatever its value (even undefined).
  for (const key of keys) if (key in value) return true;
  return false;
}

/**
 * Wraps `logger`'s wildcard redactor (shared with its children made afterwards) so values it could not
 * change are serialized directly. Returns whether the fast path is in place: false when this pino has no
 * wildcard redactor, keeps its stringifiers elsewhere, or a path leaves no value safe to skip.
 */
export function installRedactionFastPath(logger: Logger, paths: readonly string[]): boolean {
  const { stringifiersSym, wildcardFirstSym } = symbols;
  if (!stringifiersSym || !wildcardFirstSym) return false;
  const stringifiers = (logger as unknown as Record<symbol, Record<symbol, Stringifier> | undefined>)[
    stringifiersSym
  ];
  const redactor = stringifiers?.[wildcardFirstSym];
  if (!stringifiers || typeof redactor !== 'function') return false;
  if ((redactor as unknown as Record<symbol, unknown>)[FAST_PATH]) return true;
  const keys = wildcardSecondKeys(paths);
  if (!keys) return false;
  const fast: Stringifier = (value, safe) => {
    if (mayDiffer(value, keys)) return redactor(value, safe);
    // pino's redactor ends in JSON.stringify of its clone. When that throws (a cycle, a BigInt, a getter
    // that throws), pino's fallback serializer would see the clone, not the value (a cycle through the
    // value is one level longer in the clone), so the redactor writes those lines as before.
    try {
      return JSON.stringify(value);
    } catch {
      return redactor(value, safe);
    }
  };
  Object.defineProperty(fast, FAST_PATH, { value: true });
  stringifiers[wildcardFirstSym] = fast;
  return true;
}

/** Whether `logger` writes through the fast path (for tests). */
export function hasRedactionFastPath(logger: Logger): boolean {
  const { stringifiersSym, wildcardFirstSym } = symbols;
  if (!stringifiersSym || !wildcardFirstSym) return false;
  const stringifiers = (logger as unknown as Record<symbol, Record<symbol, unknown> | undefined>)[
    stringifiersSym
  ];
  const fn = stringifiers?.[wildcardFirstSym] as Record<symbol, unknown> | undefined;
  return fn?.[FAST_PATH] === true;
}
