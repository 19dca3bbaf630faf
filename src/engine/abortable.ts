// The one abort path of a call the driver waits on (a tool call, a model turn): stopped when the worker
// loses the run's lease or when the run's time budget runs out while the call is in flight.
import { NightshiftError } from '../errors.js';

export interface TimeLimit {
  /** Aborted when the lease is lost (its reason) or the time runs out (`outOfTime`). */
  signal: AbortSignal;
  /** The reason the signal carries when the time ran out. */
  outOfTime: NightshiftError;
  /** Whether the time budget (not the lease) stopped the call. */
  timedOut(): boolean;
  /** Clears the timer and the lease listener; call when the call settles. */
  dispose(): void;
}

/**
 * A signal for one call: aborted with the lease's reason when `lease` aborts, or with a BUDGET_EXCEEDED
 * error after `timeLeftMs`. A ref'd timer (unlike AbortSignal.timeout): the limit holds even if nothing
 * else keeps the process alive.
 */
export function timeLimit(lease: AbortSignal, timeLeftMs: number, message: string): TimeLimit {
  const stop = new AbortController();
  const onLeaseLost = () => stop.abort(lease.reason);
  lease.addEventListener('abort', onLeaseLost, { once: true });
  // Made only when needed: an error's stack trace is costly, and nearly every call ends in time (this
  // ran for every model turn and tool call; decision 018).
  let outOfTime: NightshiftError | undefined;
  const outOfTimeError = () => {
    outOfTime ??= new NightshiftError('BUDGET_EXCEEDED', message);
    return outOfTime;
  };
  const timer = setTimeout(() => stop.abort(outOfTimeError()), Math.max(0, timeLeftMs));
  if (lease.aborted) onLeaseLost();
  return {
    signal: stop.signal,
    get outOfTime() {
      return outOfTimeError();
    },
    timedOut: () => stop.signal.aborted && outOfTime !== undefined && stop.signal.reason === outOfTime,
    dispose: () => {
      clearTimeout(timer);
      lease.removeEventListener('abort', onLeaseLost);
    },
  };
}

/**
 * Settles with the work's answer, or rejects as soon as `signal` aborts: work that ignores its signal
 * cannot keep the run waiting (its eventual answer is dropped).
 */
export function untilAborted<T>(work: T | Promise<T>, signal: AbortSignal): Promise<T> {
  // A tool that answered synchronously has nothing left to wait for: no listener to add and remove
  // (EventTarget listeners were a visible share of a scripted run's CPU).
  if (!isThenable(work)) return Promise.resolve(work);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    Promise.resolve(work).then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}
