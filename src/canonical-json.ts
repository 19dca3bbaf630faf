// Canonical JSON (sorted keys, no whitespace) and its sha256: the basis of role versions and of the
// argument hashes that bind an approval to the exact calls it approved.
import * as crypto from 'node:crypto';

export function canonicalJson(value: unknown): string {
  // Plain data (what a model's arguments, a tool's result and an audit entry are) is written directly,
  // without the sorted copy; anything else (a Date, a toJSON, a function, undefined in an array, a class
  // instance) takes the copy and JSON.stringify, whose text the direct writer must and does equal.
  const direct = plainJson(value);
  return direct ?? JSON.stringify(sortKeys(value));
}

/** Bail-out of plainJson: the value is not plain data. */
const NOT_PLAIN = Symbol('not plain');

/**
 * The canonical text of `value` when it is plain data (strings, numbers, booleans, null, arrays of plain
 * data, objects of Object.prototype or no prototype with plain or undefined values and no toJSON), else
 * undefined. The same text as JSON.stringify(sortKeys(value)) for such values, written in one pass: the
 * copy sortKeys makes was about half of an argument hash's cost (bench/README.md, "issue 16 goal 4").
 */
function plainJson(value: unknown): string | undefined {
  const out = writePlain(value);
  return out === NOT_PLAIN ? undefined : out;
}

function writePlain(value: unknown): string | typeof NOT_PLAIN {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // NaN and ±Infinity are null, -0 is 0: JSON.stringify's own rules.
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      break;
    default:
      return NOT_PLAIN;
  }
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    if (Object.getPrototypeOf(value) !== Array.prototype) return NOT_PLAIN;
    let text = '[';
    for (let i = 0; i < value.length; i++) {
      // A hole or undefined is `null` in JSON: left to JSON.stringify.
      if (!(i in value)) return NOT_PLAIN;
      const item = writePlain(value[i]);
      if (item === NOT_PLAIN) return NOT_PLAIN;
      text += i === 0 ? item : `,${item}`;
    }
    return `${text}]`;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
  const record = value as Record<string, unknown>;
  if ('toJSON' in record) return NOT_PLAIN;
  let text = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    // An integer-like key ("9", "10") is put before the others, in numeric order, by the copy's own
    // property order: left to that path.
    const c = key.charCodeAt(0);
    if (c >= 48 && c <= 57) return NOT_PLAIN;
    const v = record[key];
    if (v === undefined) continue;
    const item = writePlain(v);
    if (item === NOT_PLAIN) return NOT_PLAIN;
    text += `${first ? '' : ','}${JSON.stringify(key)}:${item}`;
    first = false;
  }
  return `${text}}`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    // No prototype: a `__proto__` key (JSON.parse makes it an own property) is then stored as data. Into a
    // plain `{}` the assignment would set the prototype instead, and the key would vanish from the hash.
    const out: Record<string, unknown> = Object.create(null);
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * Node's one-shot hash (20.12+; `engines` allows 20.11, hence the fallback): the same digest without a
 * Hash object and its stream machinery per call, which was ~2 % of a sequential scripted run's CPU
 * (argument hashes and audit entries; bench/README.md, "CPU per run", 2026-12-01).
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** The hex sha256 of `text`'s UTF-8 bytes. */
export const sha256: (text: string) => string = oneShot
  ? (text) => oneShot('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

export function hashJson(value: unknown): string {
  return sha256(canonicalJson(value));
}
