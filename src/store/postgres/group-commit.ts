// Group commit for the Postgres store: the engine commits of every run a process drives, queued while a
// group is in flight, go to Postgres as ONE statement (one round trip, one transaction, one WAL flush).
//
// Measured with pg_stat_statements on the substrate bench: Postgres spent more CPU per run than the
// worker, nearly all of it in fixed per-statement costs (executor start-up, commit, WAL flush) of the
// seven small commits each run makes. Runs driven concurrently share those costs once their commits
// travel together. A group's statement is fenced per run (each run's UPDATE still checks its seq), so a
// run that lost its lease fails alone while the rest of the group commits. If the statement fails as a
// whole because Postgres refused it (a constraint one batch broke), nothing of it was written, and each
// batch is sent again alone, one after another, so that only the faulty one fails, with its own error.
// Any other failure (the connection dropped: the statement may or may not have committed) fails every
// batch of the group with that error; re-sending would turn a committed group into fence conflicts.
// New runs travel the same way (create-statement.ts): there a batch that was not written is a run whose
// idempotency key was known already, which is an answer, not an error.
import type { CommitBatch } from '../types.js';

interface Pending<T> {
  batch: T;
  resolve: (written: boolean) => void;
  reject: (err: unknown) => void;
}

export interface GroupCommitOptions<T extends { runId: string }> {
  /**
   * Sends batches (of distinct runs) as one statement; resolves with the ids of the runs whose fence
   * held (their batch was written), rejects if the statement failed (nothing was written).
   */
  send: (batches: T[]) => Promise<Set<string>>;
  /**
   * The error for a batch whose run was not at `expectSeq`. Without it a batch that was not written
   * resolves `false`.
   */
  conflict?: (batch: T) => Error;
  /** Whether a failed statement certainly wrote nothing (the database refused it). */
  refused: (err: unknown) => boolean;
  /** Groups in flight at once (each holds a pool connection). */
  maxInFlight?: number;
  /** Largest group (bounds the statement's size). */
  maxGroup?: number;
}

export class GroupCommit<T extends { runId: string } = CommitBatch> {
  private queue: Pending<T>[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly maxInFlight: number;
  private readonly maxGroup: number;
  /** Statements sent and the batches they carried (a group sent again batch by batch counts again). */
  readonly stats = { statements: 0, batches: 0 };
  private readonly pumpSoon = () => {
    this.scheduled = false;
    this.pump();
  };

  constructor(private readonly o: GroupCommitOptions<T>) {
    this.maxInFlight = o.maxInFlight ?? 2;
    this.maxGroup = o.maxGroup ?? 64;
  }

  /** Resolves `true` once written (`false`: not written, when there is no `conflict` error for that). */
  commit(batch: T): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.queue.push({ batch, resolve, reject });
      // Commits issued in the same tick travel together even when nothing is in flight.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(this.pumpSoon);
      }
    });
  }

  /** Resolves once every batch handed over so far has been sent and answered. */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight > 0 || this.scheduled) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      // One batch per run in a group: a run's second batch would be fenced against its first.
      const group: Pending<T>[] = [];
      const runs = new Set<string>();
      const rest: Pending<T>[] = [];
      for (const p of this.queue) {
        if (group.length < this.maxGroup && !runs.has(p.batch.runId)) {
          group.push(p);
          runs.add(p.batch.runId);
        } else rest.push(p);
      }
      this.queue = rest;
      this.inFlight++;
      void this.sendGroup(group).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async sendGroup(group: Pending<T>[]): Promise<void> {
    let written: Set<string>;
    this.stats.statements++;
    this.stats.batches += group.length;
    try {
      written = await this.o.send(group.map((p) => p.batch));
    } catch (err) {
      if (group.length === 1 || !this.o.refused(err)) {
        for (const p of group) p.reject(err);
        return;
      }
      for (const p of group) await this.sendGroup([p]);
      return;
    }
    for (const p of group) {
      if (written.has(p.batch.runId)) p.resolve(true);
      else if (this.o.conflict) p.reject(this.o.conflict(p.batch));
      else p.resolve(false);
    }
  }
}
