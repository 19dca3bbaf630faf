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

export class StoreClock implements Clock {
  /** The database's clock minus this process's monotonic clock, at the last reading. */
  private offset: number;
  /** This host's wall clock minus its monotonic clock, at the last reading: a step moves it. */
  private hostSkew: number;
  private readAt: number;
  private reading: Promise<void> | undefined;

  private constructor(
    private readonly read: () => Promise<number>,
    offset: number,
    readAt: number,
  ) {
    this.offset = offset;
    this.readAt = readAt;
    this.hostSkew = Date.now() - readAt;
  }

  /** Reads the store's clock once (a failure is the caller's: the store is not reachable). */
  static async open(read: () => Promise<number>): Promise<StoreClock> {
    const { offset, at } = await measure(read);
    return new StoreClock(read, offset, at);
  }

  now(): number {
    const mono = performance.now();
    if (mono - this.readAt > RESYNC_MS || Math.abs(Date.now() - mono - this.hostSkew) > HOST_STEP_MS)
      this.readAgain(mono);
    return Math.round(mono + this.offset);
  }

  elapsed(): number {
    return performance.now();
  }

  /** Reads the database's clock again in the background; until it answers, the last reading holds. */
  private readAgain(mono: number): void {
    if (this.reading) return;
    // Not asked again at once if this reading fails (the database is down): at the next period.
    this.readAt = mono;
    this.hostSkew = Date.now() - mono;
    this.reading = measure(this.read)
      .then(
        ({ offset, at }) => {
          this.offset = offset;
          this.readAt = at;
          this.hostSkew = Date.now() - performance.now();
        },
        () => {},
      )
      .finally(() => {
        this.reading = undefined;
      });
  }
}

/** The store's clock minus the monotonic clock, taken at the middle of the round trip. */
async function measure(read: () => Promise<number>): Promise<{ offset: number; at: number }> {
  const sent = performance.now();
  const db = await read();
  const back = performance.now();
  const at = (sent + back) / 2;
  return { offset: db - at, at: back };
}
