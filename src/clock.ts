// Time and ids come from injected sources so the engine is deterministic under test.
import { randomBytes } from 'node:crypto';

export interface Clock {
  now(): number;
}
export const systemClock: Clock = { now: () => Date.now() };

export interface IdSource {
  /** A new id with the given prefix, e.g. `run_01jf...`. Sortable by creation time. */
  next(prefix: string): string;
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

function base32(n: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
}

/** Time-ordered ids: 10 chars of milliseconds, 16 chars of randomness (ULID layout, lowercase). */
export function createIdSource(clock: Clock = systemClock): IdSource {
  return {
    next(prefix: string) {
      const time = base32(BigInt(clock.now()), 10);
      const rand = base32(BigInt(`0x${randomBytes(10).toString('hex')}`), 16);
      return `${prefix}_${time}${rand}`;
    },
  };
}
