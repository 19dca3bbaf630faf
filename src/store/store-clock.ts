// Time for a runtime over a shared database (Postgres): the database server's clock, not this host's.
// Workers on several hosts judge one another's leases by the lease ends they write; written from each
// host's own wall clock, one host whose clock was stepped (NTP catching up, `date -s`, a VM restored
// from a snapshot) writes lease ends the others read as long past, or far ahead. Read from the one
// database clock, every worker writes and reads them on the same clock.
//
// The database is not asked on every `now()`: its clock is read once, then carried forward on this
// process's monotonic clock (`performance.now()`, which a wall-clock step does not move), and read again
// every 30 s, and at once when this host's wall clock and monotonic clock stop agreeing (a step, or a
// machine woken from suspend, whose monotonic clock stood still while the world's time went on).
import type { Clock } from '../clock.js';

/** How often the database's clock is read again while nothing looks wrong. */
const RESYNC_MS = 30_000;
/** How far this host's wall and monotonic clocks may move apart before the database is asked again. */
const HOST_STEP_MS = 1_000;
/** How soon a reading that is owed (after a host step) is tried again when the last try failed. */
const RETRY_MS = 1_000;
/** Round trips per reading: the shortest is kept (a query that queued for a pool connection is skewed). */
const SAMPLES = 3;

export class StoreClock implements Clock {
  /** The database's clock minus this process's monotonic clock, at the last reading. */
  private offset: number;
  /** This host's wall clock minus its monotonic clock, at the last successful reading: a step moves it. */
  private hostSkew: number;
  /** When the database was last asked (monotonic), whether or not it answered. */
  private askedAt: number;
  private reading: Promise<void> | undefined;
  /**
   * Host steps noticed so far, and the number of the last one a successful reading was sent after. While
   * they differ a reading is owed: the offset may be old by a suspend's length, so what now() says is not
   * to be trusted for a lease end (settled() is false), and the database is asked again promptly.
   */
  private steps = 0;
  private readSince = 0;
  /** The last value now() returned: it never goes back (a new reading may say a little less). */
  private last = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly read: () => Promise<number>,
    offset: number,
    readAt: number,
    skew: number,
  ) {
    this.offset = offset;
    this.askedAt = readAt;
    // The host's skew when the kept sample was taken (not now: a slow start is not a step).
    this.hostSkew = skew;
  }

  /** Reads the store's clock once (a failure is the caller's: the store is not reachable). */
  static async open(read: () => Promise<number>): Promise<StoreClock> {
    // One round trip at start (every CLI command on Postgres opens a runtime): the pool's connection is
    // already made by store.init(), so it is not skewed by connecting; the readings after take SAMPLES.
    const { offset, at, skew } = await measure(read, 1);
    return new StoreClock(read, offset, at, skew);
  }

  now(): number {
    const mono = performance.now();
    if (this.readSince === this.steps && Math.abs(Date.now() - mono - this.hostSkew) > HOST_STEP_MS) {
      // A step (or a wake from suspend) just noticed: the database is asked at once, and every RETRY_MS
      // after until it answers (hostSkew changes only with a reading, so the step stays noticed).
      this.steps++;
      this.askedAt = Number.NEGATIVE_INFINITY;
    }
    const owed = this.readSince !== this.steps;
    if (mono - this.askedAt > (owed ? RETRY_MS : RESYNC_MS)) this.readAgain(mono);
    // A new reading a little behind the last value returned is held there (round trips differ); one far
    // behind is the database's clock stepped back, followed at once: held, now() would stand still for
    // the whole step while workers started afterwards run on the database's real time.
    const candidate = Math.round(mono + this.offset);
    if (candidate >= this.last || this.last - candidate > HOST_STEP_MS) this.last = candidate;
    return this.last;
  }

  /**
   * False while a reading is owed (a host step was noticed, and no reading sent after it has answered):
   * now() may then be old by as long as the host was asleep, and a lease end computed from it confirms
   * nothing (lease.ts).
   */
  settled(): boolean {
    this.now();
    return this.readSince === this.steps;
  }

  /**
   * Waits for a reading owed (settled() false) to be taken: the one in flight, and one more if that
   * failed. True once settled; false when the database did not answer.
   */
  async settle(): Promise<boolean> {
    for (let i = 0; i < 2 && !this.settled(); i++) {
      if (!this.reading) {
        this.askedAt = Number.NEGATIVE_INFINITY;
        this.now();
      }
      await this.reading;
    }
    return this.settled();
  }

  elapsed(): number {
    return performance.now();
  }

  /** Reads the database's clock again in the background; until it answers, the last reading holds. */
  private readAgain(mono: number): void {
    if (this.reading) return;
    // A failed reading is tried again after RETRY_MS when one is owed, else at the next period.
    this.askedAt = mono;
    const step = this.steps;
    this.reading = measure(this.read)
      .then(
        ({ offset, skew }) => {
          // One sent before a step was noticed may have spanned a suspend: it neither counts nor is used.
          if (step !== this.steps) return;
          this.offset = offset;
          // The skew of the kept sample, not of now: a suspend after the sample and before this answer was
          // handled shows at the next now() as a step (and another reading is owed).
          this.hostSkew = skew;
          this.readSince = step;
        },
        () => {},
      )
      .finally(() => {
        this.reading = undefined;
      });
  }
}

/**
 * The store's clock minus the monotonic clock, taken at the middle of the round trip, from the shortest
 * of a few round trips: the middle is off by as much as the round trip was lopsided (a query that waited
 * for a pool connection before it was sent), at most half of it.
 */
async function measure(
  read: () => Promise<number>,
  samples = SAMPLES,
): Promise<{ offset: number; at: number; skew: number }> {
  let best: { offset: number; at: number; skew: number; trip: number } | undefined;
  let failure: unknown;
  for (let i = 0; i < samples; i++) {
    const sent = performance.now();
    const skewBefore = Date.now() - sent;
    let db: number;
    try {
      db = await read();
    } catch (err) {
      // One failed round trip (a dead pooled connection after a wake) does not spoil the others.
      failure = err;
      continue;
    }
    const back = performance.now();
    const skew = Date.now() - back;
    // A sample that spanned a step or a suspend (the host's wall clock moved against its monotonic one
    // while it was out) says nothing of the offset: dropped.
    if (Math.abs(skew - skewBefore) > HOST_STEP_MS) continue;
    const trip = back - sent;
    if (!best || trip < best.trip) best = { offset: db - (sent + back) / 2, at: back, skew, trip };
  }
  if (!best) throw failure ?? new Error('every reading of the store clock spanned a host clock step');
  return { offset: best.offset, at: best.at, skew: best.skew };
}
