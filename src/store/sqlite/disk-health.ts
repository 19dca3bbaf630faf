// Whether the embedded store can take writes: a write that fails because the disk is full, or a
// background checkpoint that keeps failing, starts an outage; the next write that commits (and a
// checkpoint that completes) ends it. Listeners hear each flip once, so `serve` logs a full disk once,
// with how long it lasted, and `/readyz` answers 503 meanwhile.
import type { StoreHealth } from '../types.js';

type Listener = (health: StoreHealth, detail: Record<string, unknown>) => void;

export class DiskHealth {
  private writes: { since: number; reason: string; failures: number } | undefined;
  private checkpoints: { since: number; reason: string; diskFull: boolean } | undefined;
  private readonly listeners = new Set<Listener>();

  current(): StoreHealth {
    if (this.writes) return { ok: false, code: 'DISK_FULL', reason: this.writes.reason };
    if (this.checkpoints) {
      return {
        ok: false,
        code: this.checkpoints.diskFull ? 'DISK_FULL' : 'STORE_UNAVAILABLE',
        reason: `background WAL checkpoints failing: ${this.checkpoints.reason}`,
      };
    }
    return { ok: true };
  }

  writeFailedDiskFull(reason: string): void {
    if (this.writes) {
      this.writes.failures++;
      return;
    }
    this.change(() => {
      this.writes = { since: Date.now(), reason, failures: 1 };
    }, {});
  }

  writeCommitted(): void {
    const w = this.writes;
    if (!w) return;
    this.change(
      () => {
        this.writes = undefined;
      },
      { outageMs: Date.now() - w.since, failedWrites: w.failures },
    );
  }

  /** A failed pass on a full disk is an outage; any other failure is only reported. */
  checkpointFailed(reason: string, diskFull: boolean, retryInMs: number): void {
    if (!diskFull) {
      this.note({ event: 'checkpoint failed', reason, retryInMs });
      return;
    }
    if (this.checkpoints) return;
    this.change(
      () => {
        this.checkpoints = { since: Date.now(), reason, diskFull };
      },
      { checkpoints: 'failing', retryInMs },
    );
  }

  checkpointRecovered(): void {
    const c = this.checkpoints;
    if (!c) {
      this.note({ event: 'checkpoints completing again' });
      return;
    }
    this.change(
      () => {
        this.checkpoints = undefined;
      },
      { checkpoints: 'completing again', checkpointOutageMs: Date.now() - c.since },
    );
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

  /** Listeners hear flips between ok and not, and a change of cause while not ok. */
  private change(fn: () => void, detail: Record<string, unknown>): void {
    const before = this.current();
    fn();
    const after = this.current();
    if (after.ok === before.ok && after.code === before.code && after.reason === before.reason) return;
    if (after.ok === before.ok && after.ok) return;
    for (const l of this.listeners) l(after, detail);
  }
}
