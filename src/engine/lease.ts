// Leases make one run execute in one place. A lease whose holder is a dead process on this same host is
// taken over at once (a `kill -9` must not lock a run until the lease times out); any other live lease
// is respected until it expires.
//
// A worker can also stop without dying (SIGSTOP, a long GC pause, a VM stall) and wake up after its lease
// ran out and another worker took the run. So a lease held by a driver (`HeldLease`) is judged by this
// process's own clock: a side effect starts only while the lease, as last renewed, is valid for more than
// a margin; calls in flight are aborted as soon as that stops being true; and every commit and renewal
// names the exact acquisition (owner and epoch), which the store refuses once anyone else took the run.
// See docs/decisions/009-lease-fencing.md.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { elapsedOf } from '../clock.js';
import { NightshiftError } from '../errors.js';
import type { LeaseRenewal, RunLease } from '../store/types.js';
import type { EngineContext } from './context.js';
import { type LeaseRenewals, leaseRenewalsFor, type RenewableLease } from './lease-renewals.js';

/**
 * Which processes this one can see by pid: this boot of this kernel (`boot_id`) and this PID namespace,
 * hashed. Two containers on one machine often share a hostname (host networking, a fixed `hostname:`)
 * but not their pids: a holder's pid that is free in this namespace may be a live worker in another, so
 * a holder is judged dead only by a process in the same pid space. Empty where Linux's /proc does not
 * tell (then the hostname is all there is, as before).
 */
function readPidSpace(): string {
  try {
    // A /proc mounted for another pid namespace (`unshare --pid` without its own /proc) names other
    // processes by these pids: then /proc cannot judge a holder here.
    if (readlinkSync('/proc/self') !== String(process.pid)) return '';
    const boot = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    const namespace = readlinkSync('/proc/self/ns/pid');
    // The time namespace too: a process's start time (STARTED) is read shifted by the reader's, so two
    // processes in different ones would each see the other's start time differ and judge it dead.
    let time = '';
    try {
      time = readlinkSync('/proc/self/ns/time');
    } catch {
      // A kernel without time namespaces: every process shares the one clock.
    }
    return createHash('sha256').update(`${boot} ${namespace} ${time}`).digest('hex').slice(0, 8);
  } catch {
    return '';
  }
}

export const PID_SPACE = readPidSpace();

/**
 * A process's `stat` line after its `(comm)` field, split: [0] is the state, [19] the start time (clock
 * ticks after boot). comm may hold spaces and parentheses, so the fields follow the last ')'. Undefined
 * where it cannot be read (no /proc, or the process is gone).
 */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * When this process started, as the kernel counts it: with the pid, it names this process and no later
 * one that is given the same pid once this one is gone. Empty where /proc does not tell.
 */
const STARTED = PID_SPACE ? (statFields(process.pid)?.[19] ?? '') : '';

/** `host/pid/random`, and `/pidspace/started` where there is a pid space (see readPidSpace, STARTED). */
export function newLeaseOwner(): string {
  const owner = `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
  if (!PID_SPACE) return owner;
  return STARTED ? `${owner}/${PID_SPACE}/${STARTED}` : `${owner}/${PID_SPACE}`;
}

export function holderIsDeadHere(owner: string): boolean {
  const [host, pidText, , space = '', started = ''] = owner.split('/');
  if (host !== hostname()) return false;
  // Another pid space (another container of this machine, or an older version that did not say): its pid
  // means nothing here, so the holder keeps its lease until it expires.
  if (space !== PID_SPACE) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const fields = statFields(pid);
  // Reaped in between (where there is a /proc to ask): gone, so dead too.
  if (!fields) return existsSync('/proc/self/stat');
  // Only an exit status its parent has not collected yet (state Z, or X while it goes): killed, it drives
  // nothing, though signalling it still succeeds. A retry moments after a kill sees this before the parent
  // (a shell, a scheduler) reaps it.
  if (fields[0] === 'Z' || fields[0] === 'X') return true;
  // Another process that was given the dead holder's pid since (pids are reused, in a container with
  // few processes soon): it answers the signal, but it is not the holder, which is gone. An owner written
  // before the start time was recorded is judged by its pid alone.
  // A start time that is not a number (a later version's field): judged by the pid alone, never as dead.
  return /^\d+$/.test(started) && fields[19] !== undefined && fields[19] !== started;
}

/**
 * Takes the run's lease for this process; returns its epoch (the fencing token). With `limit` (its role's
 * `concurrency`, for a specialist's child run), only while fewer than that many other runs of the role are
 * in flight: else `CONCURRENCY_LIMIT`, and the caller waits for a place (delegation/children.ts).
 */
export async function acquireLease(ctx: EngineContext, runId: string, limit?: number): Promise<number> {
  const now = ctx.clock.now();
  const epoch = await ctx.store.claimRun(runId, ctx.owner, now + ctx.leaseMs, now, limit);
  if (epoch !== undefined) return epoch;
  const run = await ctx.store.getRun(runId);
  if (run?.leaseOwner && holderIsDeadHere(run.leaseOwner)) {
    // The dead holder's run was counted among the role's runs in flight: taking it over adds none.
    const stolen = await ctx.store.stealRun(runId, run.leaseOwner, ctx.owner, now + ctx.leaseMs);
    if (stolen !== undefined) return stolen;
  }
  // Free, or held by this process already (a decision here leased it to us in its commit): then only the
  // limit stands in the way.
  const free =
    !run?.leaseOwner || run.leaseOwner === ctx.owner || run.leaseUntil === null || run.leaseUntil < now;
  if (limit !== undefined && run && free) {
    throw new NightshiftError(
      'CONCURRENCY_LIMIT',
      `run ${runId} waits for a place: ${limit} run(s) of role ${run.role} are in flight, its concurrency is ${limit}`,
      { details: { runId, role: run.role, concurrency: limit } },
    );
  }
  const until = run?.leaseUntil ? new Date(run.leaseUntil).toISOString() : 'unknown';
  throw new NightshiftError(
    'RUN_LEASED',
    `run ${runId} is being executed by ${run?.leaseOwner ?? 'another worker'} (lease until ${until}); try again after that`,
  );
}

/**
 * How much of the lease must be left, by this process's clock, to start a side effect: a third of it. It
 * covers the clock difference between workers (another worker judges expiry by its own clock) and the
 * time between the check and the call. Renewals come every third of the lease, so a healthy driver keeps
 * at least two thirds; one missed renewal is tolerated, two are not.
 */
export function leaseMarginMs(leaseMs: number): number {
  return Math.floor(leaseMs / 3);
}

/**
 * When a lease was last confirmed: the moment the renewal or commit that confirmed it was sent (not when
 * its answer came back: the store may have written it at any moment in between), read on the runtime's
 * clock (what the lease end sent was computed from), its monotonic clock, and this host's own wall and
 * monotonic clocks.
 */
export interface LeaseStamp {
  now: number;
  mono: number;
  hostWall: number;
  hostMono: number;
  /**
   * Whether the runtime's clock was settled when `now` was read (Clock.settled): a lease end computed
   * from an unsettled one (after a suspend, before the database's clock was read again) may be in the
   * past by the database's clock, so it confirms nothing.
   */
  settled: boolean;
}

/**
 * The lease of a run a driver is executing, from this process's point of view: renewed every third of
 * the lease, with every other lease this process holds in one store call (lease-renewals.ts); lost (once,
 * with a reason) when a renewal is refused or when it has not been renewed in time — which is also what a
 * process that was frozen sees first when it wakes.
 *
 * What is left of it is measured on the monotonic clock (Clock.elapsed) from the moment the store last
 * confirmed it, never on the wall clock: a wall clock stepped an hour forward must not make a live lease
 * look an hour expired (an unknown-outcome pause for a call that was fine), nor one stepped back make a
 * lost one look valid. A step (or a suspend: the machine asleep, its monotonic clock stopped while the
 * world's time went on, and maybe another worker took the run) does show as this host's wall clock
 * running ahead of its monotonic clock: then the lease is doubtful, and no side effect starts until a
 * renewal sent after it confirms the lease is still this process's (docs/decisions/064-clock-steps.md).
 */
export class HeldLease implements RenewableLease {
  /** When the lease runs out, on the monotonic clock, as last confirmed. */
  private endsAt: number;
  /** The last confirmation (the newest sent that the store accepted). */
  private confirmed: LeaseStamp;
  /**
   * The renewals asked for (due()) and not answered yet, by the `until` each asked for: an answer is
   * judged by when its own request was sent (the beat's and a renewSoon() may be in flight together).
   */
  private readonly asked = new Map<number, LeaseStamp>();
  private lost: string | undefined;
  /** Tool calls running now: while one runs, a lease that is not usable is lost at once. */
  private calls = 0;
  private stopped = false;
  private deadline: NodeJS.Timeout | undefined;
  private readonly margin: number;
  private readonly renewals: LeaseRenewals;

  constructor(
    private readonly ctx: EngineContext,
    private readonly runId: string,
    /** The acquisition this driver holds: every commit and renewal names it. */
    readonly lease: RunLease,
    /** Until when the lease was taken, by this process's clock (the `until` it asked the store for). */
    validUntil: number,
    private readonly onLost: (reason: string) => void,
  ) {
    this.margin = leaseMarginMs(ctx.leaseMs);
    this.renewals = leaseRenewalsFor(ctx.store, ctx.leaseMs);
    this.confirmed = this.stamp();
    this.endsAt = this.endOf(validUntil, this.confirmed);
  }

  start(): void {
    this.renewals.add(this);
    this.armDeadline();
  }

  /** The driver is done with the run: no more renewals, timers or losses (an answer in flight is ignored). */
  stop(): void {
    this.stopped = true;
    this.renewals.delete(this);
    clearTimeout(this.deadline);
  }

  /** The moment, on every clock, a renewal or commit is sent: pass it to extended() with its answer. */
  stamp(): LeaseStamp {
    // now() first: it is what notices a step and makes the clock unsettled.
    const now = this.ctx.clock.now();
    return {
      now,
      mono: elapsedOf(this.ctx.clock),
      hostWall: Date.now(),
      hostMono: performance.now(),
      settled: this.settled(),
    };
  }

  /** Whether a side effect may start now: the lease is valid for more than the margin, and not doubtful. */
  usable(): boolean {
    return this.lost === undefined && this.leftMs() > this.margin && !this.doubtful();
  }

  /**
   * Whether this host's wall clock ran ahead of its monotonic clock by more than the margin since the
   * last confirmation: a forward step, or a suspend during which the monotonic clock stood still (so the
   * lease may have run out, and the run been taken, with no sign of it in leftMs()). Judged on this
   * host's own clocks, not the runtime's (which may follow the database's and hide a suspend).
   */
  doubtful(): boolean {
    // The runtime's clock owes a reading (a Postgres runtime after a suspend): what it says may be old.
    if (!this.settled()) return true;
    const c = this.confirmed;
    return Date.now() - c.hostWall - (performance.now() - c.hostMono) > this.margin;
  }

  /**
   * Before a side effect: true when the lease is usable, renewing it first (and waiting for the answer)
   * when it is not. False means the lease is lost and nothing may start. This renewal is sent alone, at
   * once: a side effect waits on it, and it is rare (only a lease the beats failed to keep usable, or one
   * a clock step put in doubt, needs it).
   */
  async ensure(): Promise<boolean> {
    if (this.usable()) return true;
    if (this.lost !== undefined) return false;
    // A clock that owes a reading (after a suspend) would compute a lease end that may be long past by
    // the database's clock: the reading is waited for first.
    if (!this.settled()) await this.ctx.clock.settle?.();
    const stamp = this.stamp();
    const until = stamp.now + this.ctx.leaseMs;
    let held: boolean;
    try {
      held = await this.ctx.store.renewLease(this.runId, this.lease, until);
    } catch {
      held = false;
    }
    if (held) this.extended(until, stamp);
    if (!this.usable()) {
      this.lose('its lease could not be renewed before the next call');
      return false;
    }
    return true;
  }

  /** Marks a tool call as running until the returned function is called. */
  callStarted(): () => void {
    this.calls++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.calls--;
    };
  }

  /**
   * A fenced commit (or a renewal) sent at `stamp` (now, when not given) set the lease's end to `until`.
   * The store accepted it, so the lease was still this process's when it was sent: a confirmation.
   */
  extended(until: number, stamp: LeaseStamp = this.stamp()): void {
    this.apply(until, stamp, true);
  }

  /**
   * The lease end `until` was written by a request sent at `stamp`; it confirms the lease (clears a doubt)
   * only when `confirms` and the runtime's clock was settled when it was computed and is now, with the
   * end still ahead of it. One computed on an unsettled clock is not counted at all: it may be in the past
   * by the database's clock, whatever it says on this process's.
   */
  private apply(until: number, stamp: LeaseStamp, confirms: boolean): void {
    if (this.stopped || this.lost !== undefined) return;
    if (!stamp.settled) return;
    if (
      confirms &&
      stamp.hostMono >= this.confirmed.hostMono &&
      this.settled() &&
      until > this.ctx.clock.now()
    )
      this.confirmed = stamp;
    const end = this.endOf(until, stamp);
    if (end <= this.endsAt) return;
    this.endsAt = end;
    // The armed deadline is the earlier one: when it fires it finds the lease usable and arms the next
    // (armDeadline). Not re-armed here: a claim's commit extends the lease (three times in a scripted
    // run of three calls), and a clearTimeout + setTimeout each time was CPU for nothing
    // (bench/README.md, 2026-12-02 "perf4").
    if (this.deadline === undefined) this.armDeadline();
  }

  /** The beat (lease-renewals.ts) asks, synchronously, whether this lease is to be renewed now. */
  due(): LeaseRenewal | undefined {
    if (!this.stillHeld()) return undefined;
    // Extended in the last half beat (a commit renews the lease it names, and most runs commit more often
    // than once a beat): no renewal needed; at the next beat it still has more than half the lease. A
    // doubtful lease is renewed whatever is left of it: only a renewal sent now clears the doubt.
    if (!this.doubtful() && this.leftMs() > this.ctx.leaseMs - this.renewals.beatMs / 2) return undefined;
    const stamp = this.stamp();
    const until = stamp.now + this.ctx.leaseMs;
    // Requests that were never answered (a failed batch) are forgotten once a lease length old.
    for (const [key, sent] of this.asked)
      if (stamp.hostMono - sent.hostMono > this.ctx.leaseMs) this.asked.delete(key);
    // Two requests for the same end (the beat and renewSoon in one millisecond): the earlier stamp is kept,
    // so an answer is never dated later than its request could have been sent.
    if (!this.asked.has(until)) this.asked.set(until, stamp);
    return { runId: this.runId, lease: this.lease, until };
  }

  renewed(until: number): void {
    const asked = this.asked.get(until);
    this.asked.delete(until);
    // Not a request of ours (or forgotten): the end is moved, but not knowing when it was sent, it does
    // not count as a confirmation (the answer's time would be later than the truth).
    if (asked) this.apply(until, asked, true);
    else this.apply(until, this.stamp(), false);
  }

  private settled(): boolean {
    return this.ctx.clock.settled?.() ?? true;
  }

  refused(): void {
    // Cancelled, paused or finished by someone else, or taken over: stop at once.
    this.lose('the run was cancelled, paused, finished or taken over elsewhere');
  }

  /** What is left of the lease now, on the monotonic clock. */
  private leftMs(): number {
    return this.endsAt - elapsedOf(this.ctx.clock);
  }

  /**
   * The monotonic moment a lease end `until` (runtime clock) sent at `stamp` comes to: never more than a
   * lease length after the stamp, so a wall clock stepped back between building a batch and sending it
   * cannot stretch the lease.
   */
  private endOf(until: number, stamp: LeaseStamp): number {
    return stamp.mono + Math.min(until - stamp.now, this.ctx.leaseMs);
  }

  /** False when this lease is done with: stopped, lost, or found lost by this check. */
  private stillHeld(): boolean {
    if (this.stopped || this.lost !== undefined) return false;
    // Checked first, synchronously: a process that was frozen past its lease finds out here, before any
    // timer of the tool call in flight can go on to act. With no call running (a slow start, a model
    // turn), a renewal may still rescue the lease: nothing is done without it (ensure()). A doubtful
    // lease is not lost for it: the renewal the beat sends now settles it (refused: lost).
    if (this.leftMs() <= this.margin && this.calls > 0) {
      this.lose('its lease was not renewed in time (the process may have been frozen)');
      return false;
    }
    return true;
  }

  /** Fires when the lease stops being usable unless a renewal moves it on first. */
  private armDeadline(): void {
    clearTimeout(this.deadline);
    const wait = Math.max(0, this.leftMs() - this.margin);
    this.deadline = setTimeout(() => {
      this.deadline = undefined;
      if (this.usable()) this.armDeadline();
      // Not renewed in time by the beats (or in doubt): lost now if a call is running and the time is
      // up, else renewed at once.
      else if (this.stillHeld()) this.renewals.renewSoon(this);
    }, wait);
    this.deadline.unref();
  }

  private lose(reason: string): void {
    if (this.stopped || this.lost !== undefined) return;
    this.lost = reason;
    this.stop();
    this.onLost(reason);
  }
}
