// Canonical JSON (sorted keys, no whitespace) and its sha256: the basis of role versions and of the
// argument hashes that bind an approval to the exact calls it approved.
import * as crypto from 'node:crypto';

export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
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
