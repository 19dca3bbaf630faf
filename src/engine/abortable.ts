// The one abort path of a call the driver waits on (a tool call, a model turn): stopped when the worker
// loses the run's lease or when the run's time budget runs out while the call is in flight.
import { NightshiftError } from '../errors.js';

export interface TimeLimit {
  /**
   * Aborted when the lease is lost (its reason) or the time runs out (`outOfTime`). Made on first use:
   * most calls end in time and most callees (a scripted model, a synchronous tool) never look at it.
   */
  readonly signal: AbortSignal;
  /** The reason the signal carries when the time ran out. */
  outOfTime: NightshiftError;
  /** Whether the time budget (not the lease) stopped the call. */
  timedOut(): boolean;
  /** Throws the stop's reason if the call is already stopped (the lease was lost before it began). */
  throwIfStopped(): void;
  /**
   * Settles with the work's answer, or rejects with the stop's reason as soon as the call is stopped:
   * work that ignores its signal cannot keep the run waiting (its eventual answer is dropped).
   */
  race<T>(work: T | Promise<T>): Promise<T>;
  /** Clears the timer and leaves the lease's calls; call when the call settles. */
  dispose(): void;
}

/** A call in flight under a lease: stopped with the lease's reason when the lease is lost. */
interface Stoppable {
  stop(reason: unknown): void;
}

/**
 * A limit for one call: stopped with the lease's reason when `lease` aborts, or with a BUDGET_EXCEEDED
 * error after `timeLeftMs`. A ref'd timer (unlike AbortSignal.timeout): the limit holds even if nothing
 * else keeps the process alive.
 *
 * No AbortController and no EventTarget listener unless a callee asks for the signal: a controller, its
 * signal and a listener per model turn and per tool call were ~4 % of a sequential scripted run's CPU
 * (bench/README.md, "CPU per run", 2026-12-01). The stop is held here and handed to the signal when it
 * is made (at once aborted if the stop came first), and `race` is rejected directly.
 */
export function timeLimit(lease: AbortSignal, timeLeftMs: number, message: string): TimeLimit {
  let controller: AbortController | undefined;
  let stopped = false;
  let reason: unknown;
  /** The rejection of the `race` in flight, if any. */
  let rejectRace: ((reason: unknown) => void) | undefined;
  // Made only when needed: an error's stack trace is costly, and nearly every call ends in time (this
  // ran for every model turn and tool call; decision 018).
  let outOfTime: NightshiftError | undefined;
  const outOfTimeError = () => {
    outOfTime ??= new NightshiftError('BUDGET_EXCEEDED', message);
    return outOfTime;
  };
  const call: Stoppable = {
    stop(why) {
      if (stopped) return;
      stopped = true;
      reason = why;
      controller?.abort(why);
      rejectRace?.(why);
    },
  };
  const unfollow = followLease(lease, call);
  // Armed when something can be stopped by it: work `race` waits on (see there), or a signal handed out.
  let timer: ReturnType<typeof setTimeout> | undefined;
  let disposed = false;
  // The deadline counts from now, not from when the timer is armed: setTimeout reads the clock afresh,
  // so synchronous work between here and `race` (a tool's synchronous prelude, building the messages)
  // would otherwise move the deadline later by its length.
  const madeAt = performance.now();
  const arm = () => {
    if (disposed || stopped || timer !== undefined) return;
    const left = timeLeftMs - (performance.now() - madeAt);
    timer = setTimeout(() => call.stop(outOfTimeError()), Math.max(0, left));
  };
  return {
    get signal() {
      arm();
      if (!controller) {
        controller = new AbortController();
        if (stopped) controller.abort(reason);
      }
      return controller.signal;
    },
    get outOfTime() {
      return outOfTimeError();
    },
    timedOut: () => stopped && outOfTime !== undefined && reason === outOfTime,
    throwIfStopped: () => {
      if (stopped) throw reason;
    },
    race<T>(work: T | Promise<T>): Promise<T> {
      // A tool that answered synchronously has nothing left to wait for: no timer is armed for it. A
      // timer armed when the limit was made could not have fired before this either (it needs the event
      // loop), so its answer is taken exactly as before; a ref'd timer per synchronous tool call was
      // CPU for nothing (bench/README.md, "issue 16 goal 4", 2026-12-02).
      if (!isThenable(work)) return Promise.resolve(work);
      if (stopped) {
        // The work's own rejection, if any, is dropped like its answer.
        Promise.resolve(work).catch(() => {});
        return Promise.reject(reason);
      }
      // The deadline is the one set when the limit was made (see `arm`).
      arm();
      return new Promise<T>((resolve, reject) => {
        rejectRace = reject;
        Promise.resolve(work).then(resolve, reject);
      });
    },
    dispose: () => {
      disposed = true;
      if (timer !== undefined) clearTimeout(timer);
      rejectRace = undefined;
      unfollow();
    },
  };
}

/**
 * The calls in flight under each lease signal. A lease gets one 'abort' listener, added with its first
 * call, which stops every call still registered; a call only joins and leaves a Set. Adding and removing
 * an EventTarget listener per call (two per tool call, two per model turn) was ~1.5 % of a sequential
 * scripted run's CPU (bench/durable-runs, decision 001, 2026-11-30 late). Weak: the entry goes with the
 * lease's signal (one per driven run segment).
 */
const inFlight = new WeakMap<AbortSignal, Set<Stoppable>>();

/** Stops `call` with the lease's reason when the lease aborts (at once if it has); returns the undo. */
function followLease(lease: AbortSignal, call: Stoppable): () => void {
  if (lease.aborted) {
    call.stop(lease.reason);
    return () => {};
  }
  let calls = inFlight.get(lease);
  if (!calls) {
    const registered = new Set<Stoppable>();
    calls = registered;
    inFlight.set(lease, registered);
    lease.addEventListener(
      'abort',
      () => {
        for (const c of registered) c.stop(lease.reason);
        registered.clear();
      },
      { once: true },
    );
  }
  calls.add(call);
  const joined = calls;
  return () => {
    joined.delete(call);
  };
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * `fields` with a `signal` property that reads `limit.signal` (so the signal is made only when read), as
 * an own enumerable accessor after the fields, as an object literal with `get signal()` would have it: a
 * spread of it or JSON of it reads the signal the same way. Made by one class with a shared accessor
 * instead: a literal's getter is a new closure per object, which puts every model request and tool
 * context in dictionary mode (~10 × the cost of making it; bench/README.md, "issue 16 goal 4").
 */
export function withSignal<T extends object>(
  fields: T,
  limit: Pick<TimeLimit, 'signal'>,
): T & { readonly signal: AbortSignal } {
  return new WithSignal(fields, limit) as unknown as T & { readonly signal: AbortSignal };
}

/** Where a WithSignal keeps its limit: a symbol, not a private field, so a Proxy or Object.create of the
 * object (the getter then runs with another `this`) still finds it; non-enumerable, so a spread does not
 * copy it. */
const LIMIT = Symbol('time limit');

const signalOfLimit: PropertyDescriptor = {
  get(this: { [LIMIT]: Pick<TimeLimit, 'signal'> }) {
    return this[LIMIT].signal;
  },
  enumerable: true,
  configurable: true,
};

class WithSignal {
  constructor(fields: object, limit: Pick<TimeLimit, 'signal'>) {
    Object.assign(this, fields);
    Object.defineProperty(this, LIMIT, { value: limit });
    Object.defineProperty(this, 'signal', signalOfLimit);
  }
}
