// One lease renewal per worker per beat: the leases this process's drivers hold (lease.ts) are renewed
// together, in one store call every third of the lease, instead of one timer and one write per run. At
// 10,000 runs in flight that was ~1,000 writes a second whatever the runs did, queued behind the commits
// until renewals arrived too late and the leases were lost (docs/decisions/045-batched-lease-renewal.md).
//
// Nothing about fencing changes: each entry names its exact acquisition (owner and epoch) as before, a
// refused entry is a lost lease as before, and each lease still judges itself by this process's clock.

import type { LeaseRenewal, Store } from '../store/types.js';

/** A lease as the batch sees it (HeldLease). */
export interface RenewableLease {
  /**
   * Called at the beat, synchronously: the renewal to send now, or undefined for none (the lease was just
   * extended, or this check found it lost).
   */
  due(): LeaseRenewal | undefined;
  /** The store renewed the entry `due()` gave (the lease now lasts until its `until`). */
  renewed(until: number): void;
  /** The store refused it: the run was cancelled, paused, finished or taken over. */
  refused(): void;
}

export class LeaseRenewals {
  private readonly leases = new Set<RenewableLease>();
  private readonly soon = new Set<RenewableLease>();
  private beat: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Immediate | undefined;

  constructor(
    private readonly store: Pick<Store, 'renewLeases'>,
    /** Every third of the lease (at least 50 ms), as each lease's own timer was before. */
    readonly beatMs: number,
  ) {}

  add(lease: RenewableLease): void {
    this.leases.add(lease);
    if (this.beat) return;
    // Only while some lease is held: an idle process keeps no timer for this (past one beat, see onBeat).
    this.beat = setInterval(this.onBeat, this.beatMs);
    this.beat.unref();
  }

  delete(lease: RenewableLease): void {
    this.leases.delete(lease);
    this.soon.delete(lease);
  }

  /**
   * The beat stops itself when it finds no lease held, not when the last one is deleted: runs driven one
   * after another (each adds its lease and deletes it) would otherwise set and clear an interval per run
   * (bench/README.md, 2026-12-02 "perfeng"). It is unref'd, so the
   * one beat an idle process may still have keeps nothing alive, and with no lease it sends nothing.
   */
  private readonly onBeat = (): void => {
    if (this.leases.size === 0) {
      clearInterval(this.beat);
      this.beat = undefined;
      return;
    }
    this.send(this.leases);
  };

  /**
   * A lease whose deadline came before a beat renewed it (renewals failing, or the process was frozen):
   * renewed now, not at the next beat, in one call with any others that came due in the same turn.
   */
  renewSoon(lease: RenewableLease): void {
    this.soon.add(lease);
    if (this.soonTimer) return;
    this.soonTimer = setImmediate(() => {
      this.soonTimer = undefined;
      const due = [...this.soon];
      this.soon.clear();
      this.send(due);
    });
  }

  /** How many leases are held through this batch now (for tests and figures). */
  get size(): number {
    return this.leases.size;
  }

  private send(leases: Iterable<RenewableLease>): void {
    const asked: RenewableLease[] = [];
    const items: LeaseRenewal[] = [];
    for (const lease of leases) {
      const item = lease.due();
      if (!item) continue;
      asked.push(lease);
      items.push(item);
    }
    if (items.length === 0) return;
    this.store.renewLeases(items).then(
      (held) => {
        for (let i = 0; i < asked.length; i++) {
          if (held[i]) asked[i]!.renewed(items[i]!.until);
          else asked[i]!.refused();
        }
      },
      // A store error: every lease keeps trying at the next beat; its deadline stops its driver if none
      // succeeds in time (as with one renewal per lease).
      () => {},
    );
  }
}

/** One batch per store and lease length: every engine context on one store (child runs too) shares it. */
const batches = new WeakMap<object, Map<number, LeaseRenewals>>();

export function leaseRenewalsFor(store: Store, leaseMs: number): LeaseRenewals {
  let byLength = batches.get(store);
  if (!byLength) {
    byLength = new Map();
    batches.set(store, byLength);
  }
  let batch = byLength.get(leaseMs);
  if (!batch) {
    batch = new LeaseRenewals(store, Math.max(50, Math.floor(leaseMs / 3)));
    byLength.set(leaseMs, batch);
  }
  return batch;
}
