// The fsync that makes a committed write survive a power cut (decision 001), done off the event loop.
// The connection commits at synchronous=NORMAL: COMMIT has written the transaction's WAL frames when it
// returns, and an fsync of the WAL file started after that makes them durable. Run in libuv's thread
// pool, the fsync (milliseconds on this kind of disk) no longer stops every other run's turn, commit and
// timer while it waits, and every durable write committed while one fsync runs shares the next one.
// Checkpoints stay safe at NORMAL: SQLite syncs the WAL before it copies it into the database, the
// database after, and the WAL header before the file is reused. See docs/decisions/040-in-flight-runs.md.
import { closeSync, fstatSync, fsync, openSync, statSync } from 'node:fs';

type Waiter = (err: Error | undefined) => void;

export class WalSync {
  private fd: number | undefined;
  private waiting: Waiter[] = [];
  private running = false;
  /** fsyncs of the WAL done, each shared by every durable write committed before it started. */
  readonly stats = { syncs: 0 };

  constructor(private readonly walPath: string) {}

  /**
   * Calls `done` once an fsync of the WAL that started after this call has returned (with its error, if
   * it failed: the write is then not known to be durable). Call it after COMMIT returned.
   */
  after(done: Waiter): void {
    this.waiting.push(done);
    if (!this.running) this.start();
  }

  private start(): void {
    // Only the writes committed before this fsync starts are covered by it; later ones wait for the next.
    const covered = this.waiting;
    this.waiting = [];
    this.running = true;
    const finish = (err: Error | null | undefined) => {
      this.running = false;
      this.stats.syncs++;
      for (const done of covered) done(err ?? undefined);
      if (this.waiting.length > 0) this.start();
    };
    let fd: number;
    try {
      fd = this.openWal();
    } catch (err) {
      finish(err as Error);
      return;
    }
    fsync(fd, finish);
  }

  /**
   * The WAL's descriptor, opened once. It is opened again if the file is no longer the one it names (the
   * WAL removed and created again): an fsync of a stale file would sync nothing of the new one.
   */
  private openWal(): number {
    if (this.fd !== undefined && fstatSync(this.fd).ino === statSync(this.walPath).ino) return this.fd;
    this.close();
    this.fd = openSync(this.walPath, 'r');
    return this.fd;
  }

  /** Settles when no fsync is running or waiting (before the database is closed). */
  drained(): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise((resolve) => this.after(() => resolve()));
  }

  close(): void {
    if (this.fd === undefined) return;
    closeSync(this.fd);
    this.fd = undefined;
  }
}
