// The embedded store on a disk that fills up (a real 8 MB tmpfs; mounting needs root, so elsewhere the
// suite is skipped, except under CI=true, where it fails). The WAL must never hold the space its own
// checkpoint needs: on a tight disk writes checkpoint first, and after a write failed for lack of space,
// freed space goes to a checkpoint before any write may grow the WAL into it.
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/index.js';
import { newRun } from '../contract/store.js';
import { mountSmallDisk, smallDiskSkip } from '../support/small-disk.js';
import { waitFor } from '../support/wait.js';

const skip = smallDiskSkip();

/** A file of `bytes` zeros (or as much as fits). */
function filler(path: string, bytes: number): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (let n = 0; n < bytes; n += chunk.length) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

const pad = 'x'.repeat(16_000);
function writeOne(store: SqliteStore): Promise<unknown> {
  const run = newRun();
  return store.createRun(run, {
    steps: [{ runId: run.id, seq: 1, kind: 'run_started', at: 1, data: { pad } }],
    at: 1,
  });
}

const isDiskFull = (err: unknown) =>
  err instanceof NightshiftError && (err.details as { diskFull?: boolean } | undefined)?.diskFull === true;

/** Writes runs ten at a time until one is refused for lack of space; returns how many were written. */
async function writeUntilFull(store: SqliteStore): Promise<number> {
  for (let written = 0; written < 10_000; written += 10) {
    const results = await Promise.allSettled(Array.from({ length: 10 }, () => writeOne(store)));
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      assert.ok(isDiskFull(failed.reason), `refused for another reason: ${failed.reason}`);
      return written + results.filter((r) => r.status === 'fulfilled').length;
    }
  }
  throw new Error('the disk never filled up');
}

describe('the embedded store on a disk that fills up', { skip }, () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups.reverse()) c();
  });

  it('checkpoints before the WAL grows into freed space, and keeps the WAL small on a tight disk', async () => {
    const disk = mountSmallDisk('nightshift-store-disk-');
    if (typeof disk === 'string') throw new Error(disk);
    cleanups.push(disk.unmount);
    const dataDir = join(disk.dir, 'data');
    mkdirSync(dataDir);
    const wal = join(dataDir, 'nightshift.db-wal');
    // Someone else's file takes part of the disk; the store fills the rest.
    const other = join(disk.dir, 'other');
    filler(other, 3 * 1024 * 1024);
    // A CLI-style store: automatic checkpoints only (at 40 MB of WAL, far above this disk).
    const store = openSqliteStore({ dataDir });
    await store.init();
    try {
      const before = await writeUntilFull(store);
      const walAtFull = statSync(wal).size;
      // The WAL never took the room its own checkpoint needs: at most half of the disk's free space
      // went to it (the database file holds the rest of what was written).
      assert.ok(
        walAtFull < 3 * 1024 * 1024,
        `the WAL took ${walAtFull} bytes of an 8 MB disk: its checkpoint cannot complete`,
      );

      rmSync(other);
      // Writes resume, and the first that goes through finds the WAL checkpointed and truncated: the
      // freed space went to the database file, not to more WAL.
      await waitFor(
        async () =>
          await writeOne(store).then(
            () => true,
            (err) => {
              if (!isDiskFull(err)) throw err;
              return undefined;
            },
          ),
        'a write to go through once space is freed',
      );
      assert.ok(statSync(wal).size < 512 * 1024, `the WAL is ${statSync(wal).size} bytes after freeing`);
      // And the store goes on taking writes until the disk is full again, with everything readable.
      const more = await writeUntilFull(store);
      assert.ok(more > 0);
      const runs = await store.listRuns({ limit: 100_000 });
      assert.equal(runs.length, before + 1 + more);
    } finally {
      await store.close();
    }
  });
});
