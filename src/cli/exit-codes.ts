// The one place error codes and run statuses become process exit codes (a public contract):
// 0 succeeded, 1 failed, 2 bad usage or invalid role, 3 paused for a human.
import type { ErrorCode } from '../errors.js';
import type { RunStatus } from '../store/types.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, paused: 3 } as const;

const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'USAGE',
  'ROLE_INVALID',
  'ROLE_NOT_FOUND',
  'CONFIG_INVALID',
  'INPUT_INVALID',
  'MODEL_CONFIG',
  'EXECUTOR_UNAVAILABLE',
  'TOOL_NOT_FOUND',
  'TOOL_MODULE_INVALID',
  'RUN_NOT_FOUND',
  'STORE_NOT_FOUND',
  'IDEMPOTENCY_KEY_REUSED',
  'APPROVAL_NOT_FOUND',
  'ESCALATION_NOT_FOUND',
  'ACTOR_INVALID',
  'PERSON_NOT_ALLOWED',
  'VERSION_NOT_FOUND',
  'PROMOTION_NOT_FOUND',
  'IMPROVE_BASE_MISMATCH',
  'IMPROVE_SUITE_EXPOSED',
  'TOKEN_NOT_FOUND',
  'NOTHING_TO_ROLL_BACK',
]);

export function exitCodeForError(code: ErrorCode | undefined): number {
  return code && USAGE_CODES.has(code) ? EXIT.usage : EXIT.failed;
}

export function exitCodeForStatus(status: RunStatus): number {
  switch (status) {
    case 'succeeded':
      return EXIT.ok;
    case 'awaiting_approval':
    case 'escalated':
      return EXIT.paused;
    case 'failed':
    case 'cancelled':
      return EXIT.failed;
    default:
      // queued/running after a command returns means another worker holds it: not a success.
      return EXIT.paused;
  }
}
