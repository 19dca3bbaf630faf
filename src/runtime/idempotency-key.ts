// The one rule for an idempotency key a caller gives (`run --idempotency-key`, `emit --idempotency-key`,
// the `Idempotency-Key` header, MCP `runs.start` / `events.send`): 1 to 200 visible ASCII characters.
// Why a cap: the key is stored with the run or inbox item and echoed in messages, so an unbounded one
// (a 6,000-character header was once accepted) grows every row and log line it touches. Why visible ASCII:
// an HTTP header carries nothing else reliably, and a newline or control character in a key echoed in a
// log line or an error message could forge another line. 200 is what MCP's schema already allowed.

import { z } from 'zod';
import { NightshiftError } from '../errors.js';

export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

const VISIBLE_ASCII = /^[\x21-\x7e]+$/;

/** What a key must be, in the words every refusal uses. */
export const IDEMPOTENCY_KEY_RULE = `1 to ${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters (letters, digits and punctuation; no spaces or control characters)`;

/** The zod form, for schemas at the boundaries (the API's header, MCP tool inputs). */
export const IdempotencyKey = z
  .string()
  .min(1, `an idempotency key must be ${IDEMPOTENCY_KEY_RULE}`)
  .max(MAX_IDEMPOTENCY_KEY_LENGTH, `an idempotency key must be ${IDEMPOTENCY_KEY_RULE}`)
  .regex(VISIBLE_ASCII, `an idempotency key must be ${IDEMPOTENCY_KEY_RULE}`);

/** Why `key` is refused (naming where it came from), or undefined when it is a good key. */
export function idempotencyKeyProblem(key: string, where: string): string | undefined {
  if (key.length >= 1 && key.length <= MAX_IDEMPOTENCY_KEY_LENGTH && VISIBLE_ASCII.test(key))
    return undefined;
  const what =
    key.length > MAX_IDEMPOTENCY_KEY_LENGTH
      ? `is ${key.length} characters long`
      : key.length === 0
        ? 'is empty'
        : 'holds a space, a control or a non-ASCII character';
  return `${where} ${what}: it must be ${IDEMPOTENCY_KEY_RULE}; nothing was recorded`;
}

/** Throws USAGE when a caller's key breaks the rule; nothing has been recorded at that point. */
export function checkIdempotencyKey(key: string | undefined, where: string): void {
  if (key === undefined) return;
  const problem = idempotencyKeyProblem(key, where);
  if (problem) throw new NightshiftError('USAGE', problem);
}
