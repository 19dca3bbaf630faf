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
export function timeLimit(
  lease: AbortSignal | LeaseStop,
  timeLeftMs: number,
  message: string,
  /** The driven segment's one timer (drive.ts), shared by its calls; else the call arms its own. */
  shared?: SegmentDeadline,
): TimeLimit {
  return new CallLimit(lease, timeLeftMs, message, shared);
}

/**
 * One timer for the calls of one driven run segment, instead of a setTimeout and a clearTimeout per
 * model turn and per awaited tool call (five per scripted run, each a new timer list since the time left
 * shrinks: ~2 % of its CPU, bench/README.md 2026-12-02 "perf4"). Within a segment every call's deadline
 * is the same instant (the run's time budget ends when it ends), so the timer armed by the first call
 * serves the next ones; it is re-armed only for a call whose deadline is earlier by more than the
 * budget's resolution (1 ms: the run's active time is counted in whole milliseconds by its clock).
 * When it fires it stops every call it watches that is due by then (within that resolution) and re-arms
 * for the rest. Ref'd while a call is watched, as a call's own timer was; the driver disposes it when the
 * segment ends, and a timer left armed with nothing watched is unref'd so it keeps no process alive.
 */
export class SegmentDeadline {
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The instant (performance.now) the timer is armed for; Infinity when none is. */
  private at = Number.POSITIVE_INFINITY;
  private readonly calls = new Set<CallLimit>();
  private disposed = false;

  /** Watches `call` until unwatched: stopped with its outOfTime error at its deadline. False once disposed. */
  watch(call: CallLimit): boolean {
    if (this.disposed) return false;
    this.calls.add(call);
    if (this.timer !== undefined && this.calls.size === 1) this.timer.ref();
    if (call.deadline < this.at - RESOLUTION_MS) this.armFor(call.deadline);
    return true;
  }

  unwatch(call: CallLimit): void {
    if (!this.calls.delete(call)) return;
    if (this.calls.size === 0) this.timer?.unref();
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.calls.clear();
  }

  private armFor(at: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.at = at;
    const delay = Math.max(0, at - performance.now());
    this.early = delay > MAX_TIMER_MS;
    this.timer = setTimeout(this.fire, Math.min(delay, MAX_TIMER_MS));
    if (this.calls.size === 0) this.timer.unref();
  }

  /** Whether the armed timer fires before `at` (a deadline beyond setTimeout's reach): then it re-arms. */
  private early = false;

  private readonly fire = () => {
    const firedFor = this.at;
    this.timer = undefined;
    if (this.early) {
      this.armFor(firedFor);
      return;
    }
    this.at = Number.POSITIVE_INFINITY;
    let next = Number.POSITIVE_INFINITY;
    for (const call of [...this.calls]) {
      if (call.deadline <= firedFor + RESOLUTION_MS) {
        this.calls.delete(call);
        call.stop(call.outOfTime);
      } else if (call.deadline < next) next = call.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) this.armFor(next);
  };
}

/**
 * The longest delay setTimeout takes (2^31 - 1 ms, ~24.8 days). Node runs a longer one after 1 ms (with
 * a warning), so a budget of more than ~25 days stopped every call at once; such a deadline is waited
 * for in steps of this size instead.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** How precisely the run's time budget is known: its clock counts whole milliseconds. */
const RESOLUTION_MS = 1;

/**
 * One call's limit. A class, not an object literal of closures: a literal with getters (`signal`,
 * `outOfTime`) gets new closures per call and is made in dictionary mode, as withSignal's note says;
 * here the accessors and methods are the prototype's, made once (bench/README.md, 2026-12-02 "perf4").
 */
class CallLimit implements TimeLimit, Stoppable {
  private controller: AbortController | undefined = undefined;
  private stopped = false;
  private reason: unknown = undefined;
  /** The rejection of the `race` in flight, if any. */
  private rejectRace: ((reason: unknown) => void) | undefined = undefined;
  // Made only when needed: an error's stack trace is costly, and nearly every call ends in time (this
  // ran for every model turn and tool call; decision 018).
  private outOfTimeError: NightshiftError | undefined = undefined;
  // Armed when something can be stopped by it: work `race` waits on (see there), or a signal handed out.
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private disposed = false;
  /**
   * The deadline counts from now, not from when the timer is armed: setTimeout reads the clock afresh, so
   * synchronous work between here and `race` (a tool's synchronous prelude, building the messages) would
   * otherwise move the deadline later by its length.
   */
  private readonly madeAt = performance.now();
  private readonly unfollow: () => void;
  /** Whether the segment's shared timer watches this call (instead of `timer`). */
  private watched = false;

  constructor(
    lease: AbortSignal | LeaseStop,
    private readonly timeLeftMs: number,
    private readonly message: string,
    private readonly shared: SegmentDeadline | undefined,
  ) {
    this.unfollow = lease instanceof LeaseStop ? lease.follow(this) : followLease(lease, this);
  }

  /** When the time runs out (performance.now's clock). */
  get deadline(): number {
    return this.madeAt + this.timeLeftMs;
  }

  stop(why: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    this.reason = why;
    this.controller?.abort(why);
    this.rejectRace?.(why);
  }

  private arm(): void {
    if (this.disposed || this.stopped || this.timer !== undefined || this.watched) return;
    if (this.shared?.watch(this)) {
      this.watched = true;
      return;
    }
    const left = this.timeLeftMs - (performance.now() - this.madeAt);
    if (left > MAX_TIMER_MS) {
      // Beyond setTimeout's reach: look again then (see MAX_TIMER_MS).
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.arm();
      }, MAX_TIMER_MS);
      return;
    }
    this.timer = setTimeout(() => this.stop(this.outOfTime), Math.max(0, left));
  }

  get signal(): AbortSignal {
    this.arm();
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  get outOfTime(): NightshiftError {
    this.outOfTimeError ??= new NightshiftError('BUDGET_EXCEEDED', this.message);
    return this.outOfTimeError;
  }

  timedOut(): boolean {
    return this.stopped && this.outOfTimeError !== undefined && this.reason === this.outOfTimeError;
  }

  throwIfStopped(): void {
    if (this.stopped) throw this.reason;
  }

  race<T>(work: T | Promise<T>): Promise<T> {
    // A tool that answered synchronously has nothing left to wait for: no timer is armed for it. A timer
    // armed when the limit was made could not have fired before this either (it needs the event loop),
    // so its answer is taken exactly as before; a ref'd timer per synchronous tool call was CPU for
    // nothing (bench/README.md, "issue 16 goal 4", 2026-12-02).
    if (!isThenable(work)) return Promise.resolve(work);
    if (this.stopped) {
      // The work's own rejection, if any, is dropped like its answer.
      Promise.resolve(work).catch(() => {});
      return Promise.reject(this.reason);
    }
    // The deadline is the one set when the limit was made (see `madeAt`).
    this.arm();
    return new Promise<T>((resolve, reject) => {
      this.rejectRace = reject;
      Promise.resolve(work).then(resolve, reject);
    });
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.watched) this.shared?.unwatch(this);
    this.rejectRace = undefined;
    this.unfollow();
  }
}

/**
 * How a driver stops the work of its run when it loses the lease: the calls in flight (their time limits
 * follow it directly) and anything holding its `signal`. The AbortController and its signal are made only
 * when something asks for the signal (an executor's session, a delegation's wait): an AbortSignal is an
 * EventTarget, and making one per driven segment plus an 'abort' listener for its calls was ~1.5–2 % of
 * a sequential scripted run's CPU profile, where no callee reads it (bench/README.md, "perfeng").
 * Once aborted it stays aborted with the first reason, and a signal made later is aborted already.
 */
export class LeaseStop {
  private controller: AbortController | undefined = undefined;
  private stopped = false;
  private stopReason: unknown = undefined;
  private readonly calls = new Set<Stoppable>();

  get aborted(): boolean {
    return this.stopped;
  }

  /** Why the work was stopped (undefined until it is). */
  get reason(): unknown {
    return this.stopReason;
  }

  /** An AbortSignal aborted (with the same reason) when this is; made on first use. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.stopped) this.controller.abort(this.stopReason);
    }
    return this.controller.signal;
  }

  /** Stops everything following this, and the signal, with `reason`; only the first call counts. */
  abort(reason: unknown): void {
    if (this.stopped) return;
    this.stopped = true;
    // As AbortController.abort: no reason is an AbortError.
    this.stopReason =
      reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.controller?.abort(this.stopReason);
    for (const call of [...this.calls]) call.stop(this.stopReason);
    this.calls.clear();
  }

  /** Stops `call` with the reason when this is aborted (at once if it is); returns the undo. */
  follow(call: Stoppable): () => void {
    if (this.stopped) {
      call.stop(this.stopReason);
      return () => {};
    }
    this.calls.add(call);
    return () => {
      this.calls.delete(call);
    };
  }
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
