// Whether the embedded store can take writes: a write that fails because the disk is full, or a
// background checkpoint that fails for lack of space, starts an outage; it ends once writes (and
// checkpoints) have gone through for QUIET_MS after the last failure. A nearly full disk lets some writes
// through between failures, so ending at the first success would log an outage per flap. Listeners hear
// each flip once, so `serve` logs a full disk once, with how long it lasted, and `/readyz` answers 503
// meanwhile.
import type { StoreHealth } from '../types.js';

type Listener = (health: StoreHealth, detail: Record<string, unknown>) => void;

/** How long writes must go through after the last failure before the outage counts as over. */
export const QUIET_MS = 2000;

interface Outage {
  since: number;
  /** Time of the last failure. */
  last: number;
  reason: string;
  failures: number;
  /** Checkpoints only: the thread reported a completed pass after the last failure. */
  recovered?: boolean;
}

export class DiskHealth {
  private writes: Outage | undefined;
  private checkpoints: Outage | undefined;
  /** Why the WAL can no longer be synced (sticky: see walSyncFailed). */
  private walSync: string | undefined;
  /** Why the file is judged damaged (sticky: see corrupt). */
  private damaged: string | undefined;
  private readonly listeners = new Set<Listener>();
  private lastCommit = 0;
  private timer: NodeJS.Timeout | undefined;

  current(): StoreHealth {
    if (this.damaged) return { ok: false, code: 'STORE_CORRUPT', reason: this.damaged };
    if (this.walSync) return { ok: false, code: 'WAL_SYNC_FAILED', reason: this.walSync };
    if (this.writes) return { ok: false, code: 'DISK_FULL', reason: this.writes.reason };
    if (this.checkpoints) {
      return {
        ok: false,
        code: 'DISK_FULL',
        reason: `background WAL checkpoints failing: ${this.checkpoints.reason}`,
      };
    }
    return { ok: true };
  }

  /**
   * An fsync of the WAL failed: every later durable write fails until the store is reopened, so the store
   * is not ready, whatever the disk does next (a freed disk does not end this one).
   */
  walSyncFailed(reason: string): void {
    if (this.walSync) return;
    this.change(() => {
      this.walSync = `syncing the WAL to disk failed (${reason}): claims of non-idempotent calls fail until the store is reopened (restart the process)`;
    }, {});
  }

  /**
   * SQLite reported the file damaged: it does not mend itself, and driving runs over it would fail each
   * one in turn (or commit next to pages it cannot read), so the store is not ready until it is restored
   * and the process restarted. Nothing here writes to the file.
   */
  corrupt(reason: string): void {
    if (this.damaged) return;
    this.change(() => {
      this.damaged = reason;
    }, {});
  }

  /** The error refusing a write once the file is judged damaged (SQLITE_CORRUPT, as SQLite said it). */
  damage(): Error | undefined {
    if (this.damaged === undefined) return undefined;
    return Object.assign(
      new Error('database disk image is malformed (found earlier: writes are refused until it is restored)'),
      { code: 'SQLITE_CORRUPT' },
    );
  }

  writeFailedDiskFull(reason: string): void {
    const now = Date.now();
    if (this.writes) {
      this.writes.failures++;
      this.writes.last = now;
      return;
    }
    this.change(() => {
      this.writes = { since: now, last: now, reason, failures: 1 };
    }, {});
  }

  /**
   * A write committed: the outage ends once the last failure is QUIET_MS old (checked then, by a timer,
   * so an idle store does not stay "full" for want of a later write).
   */
  writeCommitted(): void {
    if (!this.writes && !this.checkpoints?.recovered) return;
    this.lastCommit = Date.now();
    this.settle();
  }

  private settle(): void {
    const now = Date.now();
    const detail: Record<string, unknown> = {};
    this.change(() => {
      const w = this.writes;
      if (w && this.lastCommit > w.last && now - w.last >= QUIET_MS) {
        this.writes = undefined;
        Object.assign(detail, { outageMs: now - w.since, failedWrites: w.failures });
      }
      const c = this.checkpoints;
      if (c?.recovered && this.lastCommit > c.last && now - c.last >= QUIET_MS) this.checkpoints = undefined;
    }, detail);
    const pending = [this.writes, this.checkpoints?.recovered ? this.checkpoints : undefined]
      .filter((o): o is Outage => o !== undefined && this.lastCommit > o.last)
      .map((o) => o.last + QUIET_MS - now);
    if (pending.length > 0 && this.timer === undefined) {
      this.timer = setTimeout(
        () => {
          this.timer = undefined;
          this.settle();
        },
        Math.max(1, Math.max(...pending)),
      );
      this.timer.unref();
    }
  }

  /** A failed pass on a full disk is an outage; any other failure is only reported. */
  checkpointFailed(reason: string, diskFull: boolean, retryInMs: number): void {
    if (!diskFull) {
      this.note({ event: 'checkpoint failed', reason, retryInMs });
      return;
    }
    const now = Date.now();
    if (this.checkpoints) {
      Object.assign(this.checkpoints, { last: now, recovered: false });
      this.checkpoints.failures++;
      return;
    }
    this.change(
      () => {
        this.checkpoints = { since: now, last: now, reason, failures: 1 };
      },
      { checkpoints: 'failing', retryInMs },
    );
  }

  /** The thread completed a pass again (the outage ends with the next write past the quiet period). */
  checkpointRecovered(): void {
    if (!this.checkpoints) {
      this.note({ event: 'checkpoints completing again' });
      return;
    }
    this.checkpoints.recovered = true;
    this.settle();
  }

  /** Something worth a log line that does not change whether writes can be taken. */
  note(detail: Record<string, unknown> & { event: string }): void {
    const health = this.current();
    for (const l of this.listeners) l(health, detail);
  }

  watch(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Listeners hear flips between ok and not. */
  private change(fn: () => void, detail: Record<string, unknown>): void {
    const before = this.current().ok;
    fn();
    const after = this.current();
    if (after.ok === before) return;
    for (const l of this.listeners) l(after, detail);
  }
}
