// Time and ids come from injected sources so the engine is deterministic under test.
import { randomFillSync } from 'node:crypto';

export interface Clock {
  /** Wall-clock milliseconds since the epoch: what is written down (timestamps, lease ends, ids). */
  now(): number;
  /**
   * Milliseconds on a clock that only moves forward at the rate time passes (`performance.now()`),
   * whatever is done to the wall clock: what durations are measured on (how much of a lease is left,
   * a run's active time). A wall-clock step (NTP, `date -s`, a restored VM) moves `now()` by an hour and
   * this not at all. Absent on a test's hand-driven clock: then durations are measured on `now()`.
   */
  elapsed?(): number;
  /**
   * False while now() may be off by a span this process did not see (a clock kept by a database's, after
   * this host was suspended, until the database answers again): a lease end computed from it then
   * confirms nothing. Absent: always settled.
   */
  settled?(): boolean;
  /** Waits for an unsettled clock to settle (asks the database again); true once it is. */
  settle?(): Promise<boolean>;
}
export const systemClock: Clock = { now: () => Date.now(), elapsed: () => performance.now() };

/** The clock's monotonic reading (Clock.elapsed), or its wall clock where it has none (a test's). */
export function elapsedOf(clock: Clock): number {
  return clock.elapsed ? clock.elapsed() : clock.now();
}

export interface IdSource {
  /** A new id with the given prefix, e.g. `run_01jf...`. Sortable by creation time. */
  next(prefix: string): string;
}

/**
 * The prefix each kind of id the engine hands out is made with (`ids.next(ID_PREFIX.approval)` →
 * `apr_…`). The CLI and the manager runs tell kinds apart by it, so it is defined here, once.
 */
export const ID_PREFIX = { run: 'run', approval: 'apr', escalation: 'esc', promotion: 'prm' } as const;
export type IdKind = keyof typeof ID_PREFIX;

/** Whether `id` was made as an id of `kind` (its prefix and the `_` after it). */
export function isIdOf(kind: IdKind, id: string): boolean {
  return id.startsWith(`${ID_PREFIX[kind]}_`);
}

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** `length` base-32 digits of `n` (a whole number below 2^53), most significant first. */
function timeDigits(n: number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[n % 32] + out;
    n = Math.floor(n / 32);
  }
  return out;
}

// Random bytes drawn 4 KB at a time: one call into the CSPRNG per 256 ids rather than one per id (ids
// were ~2% of a run's CPU). Each byte gives one digit (its low 5 bits; 256 is a multiple of 32, so every
// digit is uniform), 16 digits = 80 random bits, as before.
const POOL_SIZE = 4096;
const pool = Buffer.alloc(POOL_SIZE);
let poolAt = POOL_SIZE;

function randomDigits(length: number): string {
  if (poolAt + length > POOL_SIZE) {
    randomFillSync(pool);
    poolAt = 0;
  }
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[pool[poolAt++]! & 31];
  return out;
}

/** Time-ordered ids: 10 chars of milliseconds, 16 chars of randomness (ULID layout, lowercase). */
export function createIdSource(clock: Clock = systemClock): IdSource {
  return {
    next(prefix: string) {
      return `${prefix}_${timeDigits(clock.now(), 10)}${randomDigits(16)}`;
    },
  };
}
