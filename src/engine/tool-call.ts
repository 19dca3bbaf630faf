// One tool call as the driver runs it: with its idempotency key and the lease's fencing token, and
// stopped — the driver stops waiting for it — when the worker loses the run's lease or the run's time
// budget runs out while it runs. Both stops go through the one AbortSignal the tool is given.
import { type ErrorCode, NightshiftError } from '../errors.js';
import type { ToolCallRecord } from '../store/types.js';
import type { AnyTool, ToolContext } from '../tools/types.js';
import { type LeaseStop, type SegmentDeadline, timeLimit, withSignal } from './abortable.js';
import { zodMessage } from './judge.js';

/**
 * Largest tool result kept, in bytes of its JSON text as UTF-8 (what the store and the model's request
 * carry); bigger results are truncated with a note. Counted in bytes, not characters: docs/tools.md
 * promises 256 KiB, and a result of non-Latin text is up to three times its character count.
 */
const MAX_RESULT_BYTES = 256 * 1024;

export interface CallOutcome {
  result: unknown;
  isError: boolean;
  /** Why the call was stopped before it answered, if it was. */
  stopped?: 'lease' | 'budget';
  /**
   * The whole result when `result` is its truncated form (over MAX_RESULT_BYTES): the result rules judge
   * this, so a result cannot slip past a `path` rule by being padded past the limit. Never stored.
   */
  untruncated?: unknown;
}

export interface CallLimits {
  /** Aborted when this worker loses the run's lease (the driver's LeaseStop, or a signal). */
  lease: LeaseStop | AbortSignal;
  /** Milliseconds of the run's time budget left when the call starts. */
  timeLeftMs: number;
  /** The time budget in seconds (with grants), for the message. */
  timeLimitSeconds: number;
  /** The driven segment's shared timer, if any (abortable.ts). */
  deadlines?: SegmentDeadline | undefined;
}

/** The call's arguments as the tool's schema parses them, or the outcome of a call that cannot run. */
export function parseArgs(tool: AnyTool, call: ToolCallRecord): { args: unknown } | CallOutcome {
  try {
    return { args: tool.input.parse(call.args) };
  } catch (err) {
    return { result: errorResult(err), isError: true };
  }
}

/**
 * Runs the call with `args` (parsed by parseArgs). The caller checks its lease right before: nothing here
 * awaits before the tool starts.
 */
export async function runToolCall(
  tool: AnyTool,
  args: unknown,
  call: ToolCallRecord,
  context: Omit<ToolContext, 'signal'>,
  limits: CallLimits,
): Promise<CallOutcome> {
  const limit = timeLimit(
    limits.lease,
    limits.timeLeftMs,
    `the run's time budget (budget.maxSeconds with grants: ${limits.timeLimitSeconds} s) ran out while ${call.tool} was running`,
    limits.deadlines,
  );
  try {
    limit.throwIfStopped();
    // The signal as a getter: made only if the tool reads it (see timeLimit, withSignal).
    const out = await limit.race(tool.run(args, withSignal(context, limit)));
    return { ...jsonSafe(out), isError: false };
  } catch (err) {
    if (limit.timedOut()) {
      return {
        result: {
          error: `stopped: ${limit.outOfTime.message}; it may or may not have taken effect`,
          code: 'BUDGET_EXCEEDED',
        },
        isError: true,
        stopped: 'budget',
      };
    }
    if (limits.lease.aborted) return { result: errorResult(err), isError: true, stopped: 'lease' };
    return { result: errorResult(err), isError: true };
  } finally {
    limit.dispose();
  }
}

/** A failed call as the model sees it: `{ error, code }`, with TOOL_FAILED for an error that has no code. */
export function errorResult(err: unknown): { error: string; code: ErrorCode } {
  if (NightshiftError.isInstance(err)) return { error: err.message, code: err.code };
  if (err && typeof err === 'object' && 'issues' in err) {
    return {
      error: `invalid arguments: ${zodMessage(err as { issues: { path: PropertyKey[]; message: string }[] })}`,
      code: 'TOOL_ARGS_INVALID',
    };
  }
  if (err instanceof Error) return { error: err.message, code: 'TOOL_FAILED' };
  try {
    return { error: String(err), code: 'TOOL_FAILED' };
  } catch {
    // A thrown value with no string form (an object without a prototype): still a failed call.
    return { error: `the tool threw a ${typeof err} with no message`, code: 'TOOL_FAILED' };
  }
}

/**
 * Tool output as stored JSON: undefined becomes null, unserialisable values an error, huge ones truncated
 * (and then also returned whole, as `untruncated`, for the result rules). A delegated child's result goes
 * through it too (delegation/children.ts), so no call's result reaches the model or the store uncapped.
 */
export function jsonSafe(value: unknown): { result: unknown; untruncated?: unknown } {
  if (value === undefined) return { result: null };
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new NightshiftError(
      'TOOL_RESULT_INVALID',
      `tool returned a value that is not JSON: ${(err as Error).message}`,
    );
  }
  if (text === undefined) return { result: null };
  // Parsed back so the in-memory state holds exactly what the store holds (no Dates, no prototypes).
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_RESULT_BYTES) {
    return {
      result: { truncated: true, bytes, head: utf8Head(text, MAX_RESULT_BYTES) },
      untruncated: JSON.parse(text),
    };
  }
  return { result: JSON.parse(text) };
}

/** The longest start of `text` whose UTF-8 form fits in `max` bytes, never cutting a character in half. */
function utf8Head(text: string, max: number): string {
  const buf = Buffer.from(text, 'utf8');
  let end = max;
  // A continuation byte (10xxxxxx) at the cut belongs to a character that started before it.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  return buf.subarray(0, end).toString('utf8');
}
