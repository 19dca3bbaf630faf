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
  const unfollow = followLease(lease, stop);
  // Made only when needed: an error's stack trace is costly, and nearly every call ends in time (this
  // ran for every model turn and tool call; decision 018).
  let outOfTime: NightshiftError | undefined;
  const outOfTimeError = () => {
    outOfTime ??= new NightshiftError('BUDGET_EXCEEDED', message);
    return outOfTime;
  };
  const timer = setTimeout(() => stop.abort(outOfTimeError()), Math.max(0, timeLeftMs));
  return {
    signal: stop.signal,
    get outOfTime() {
      return outOfTimeError();
    },
    timedOut: () => stop.signal.aborted && outOfTime !== undefined && stop.signal.reason === outOfTime,
    dispose: () => {
      clearTimeout(timer);
      unfollow();
    },
  };
}

/**
 * The calls in flight under each lease signal. A lease gets one 'abort' listener, added with its first
 * call, which aborts every call still registered; a call only joins and leaves a Set. Adding and removing
 * an EventTarget listener per call (two per tool call, two per model turn) was ~1.5 % of a sequential
 * scripted run's CPU (bench/durable-runs, decision 001, 2026-11-30 late). Weak: the entry goes with the
 * lease's signal (one per driven run segment).
 */
const inFlight = new WeakMap<AbortSignal, Set<AbortController>>();

/** Aborts `stop` with the lease's reason when the lease aborts (at once if it has); returns the undo. */
function followLease(lease: AbortSignal, stop: AbortController): () => void {
  if (lease.aborted) {
    stop.abort(lease.reason);
    return () => {};
  }
  let calls = inFlight.get(lease);
  if (!calls) {
    const registered = new Set<AbortController>();
    calls = registered;
    inFlight.set(lease, registered);
    lease.addEventListener(
      'abort',
      () => {
        for (const c of registered) c.abort(lease.reason);
        registered.clear();
      },
      { once: true },
    );
  }
  calls.add(stop);
  const joined = calls;
  return () => {
    joined.delete(stop);
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
