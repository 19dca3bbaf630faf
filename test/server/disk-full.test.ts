// A full disk under the embedded store, for real: the data dir is a small tmpfs (8 MB) filled up with a
// filler file while events keep arriving to a real `nightshift serve`. While it is full, events are
// answered 507 DISK_FULL and /readyz 503; once space is freed, every accepted event's run finishes
// exactly once, the background checkpointer completes again (its passes reach the database file), and a daemon killed with
// SIGKILL and started again takes its dead predecessor's runs over at once, not after their lease, and
// its checkpointer cuts the WAL back to nothing once idle.
// Mounting needs root; elsewhere the suite is skipped, saying why, except under CI=true, where it fails.
import assert from 'node:assert/strict';
import { closeSync, existsSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { authFor, type Served, startServe } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { fillDisk, mountSmallDisk, smallDiskSkip } from '../support/small-disk.js';
import { waitFor } from '../support/wait.js';

const skip = smallDiskSkip();

const post = async (w: Served, i: number): Promise<{ status: number; body: Record<string, unknown> }> => {
  const r = await fetch(`${w.url}/events/job`, {
    method: 'POST',
    headers: { ...authFor(w.url), 'idempotency-key': `e-${i}`, 'content-type': 'application/json' },
    body: JSON.stringify({ i }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
};

const ready = async (w: Served) => (await fetch(`${w.url}/readyz`)).status;

const serve = (r: TestRole, dataDir: string, leaseMs: number) =>
  startServe([r.dir, '--port', '0', '--poll-ms', '50', '--lease-ms', String(leaseMs), '--data-dir', dataDir]);

/** Sends events from..to-1, each until a 202; the disk must be free by then. */
async function sendAll(w: Served, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i++) {
    await waitFor(async () => ((await post(w, i)).status === 202 ? true : undefined), `event ${i} accepted`);
  }
}

/** Sends events from `from` until one is refused 507; returns the first index not accepted. */
async function sendUntilFull(
  w: Served,
  from: number,
): Promise<{ next: number; refusal: { code: string; message: string } }> {
  for (let i = from; i < from + 5000; i++) {
    const { status, body } = await post(w, i);
    if (status === 507)
      return { next: i, refusal: (body as { error: { code: string; message: string } }).error };
    assert.equal(status, 202, `event ${i}: answer ${status} ${JSON.stringify(body)}`);
  }
  throw new Error('the disk never filled up');
}

async function allSucceeded(dataDir: string, n: number, timeoutMs: number) {
  return waitFor(
    async () => {
      const store = openSqliteStore({ dataDir });
      try {
        await store.init();
        const runs = await store.listRuns({ limit: 10_000 });
        return runs.length === n && runs.every((x) => x.status === 'succeeded') ? runs : undefined;
      } finally {
        await store.close();
      }
    },
    `all ${n} runs to succeed`,
    timeoutMs,
  );
}

function assertLedgerOnce(r: TestRole, n: number): void {
  const lines = r.ledger();
  assert.equal(lines.length, n, `${lines.length} ledger lines for ${n} runs`);
  assert.equal(new Set(lines.map((l) => l.split('#')[1])).size, n);
}

describe('a full disk under the embedded store', { skip }, () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups.reverse()) c();
  });
  const setup = (hold?: string) => {
    const disk = mountSmallDisk();
    if (typeof disk === 'string') throw new Error(disk);
    cleanups.push(disk.unmount);
    const r = writeTestRole({
      name: 'disk-bot',
      autonomy: 'full',
      tools: ['ledger.append_once'],
      turns: [
        { call: 'ledger.append_once', args: { entry: 'done', ...(hold ? { hold } : {}) } },
        { final: { summary: 'ok' } },
      ],
      extra: { triggers: [{ event: 'job' }] },
    });
    cleanups.push(r.cleanup);
    const dataDir = join(disk.dir, 'data');
    return {
      r,
      dataDir,
      database: join(dataDir, 'nightshift.db'),
      wal: join(dataDir, 'nightshift.db-wal'),
    };
  };

  it('refuses events with 507 while full, then finishes every accepted run and checkpoints again', async () => {
    const { r, dataDir, database } = setup();
    const w = await serve(r, dataDir, 3000);
    try {
      await sendAll(w, 0, 10);
      const filler = fillDisk(join(dataDir, '..'));
      const { next, refusal } = await sendUntilFull(w, 10);
      assert.equal(refusal.code, 'DISK_FULL');
      assert.equal(await ready(w), 503);
      const dbAtFull = statSync(database).size;

      rmSync(filler);
      const total = next + 20;
      await sendAll(w, next, total);
      await allSucceeded(dataDir, total, 60_000);
      assertLedgerOnce(r, total);
      await waitFor(async () => ((await ready(w)) === 200 ? true : undefined), '/readyz 200 again');
      // The checkpointer works again: only its passes copy the WAL into the database file in `serve`.
      await waitFor(
        async () => (statSync(database).size > dbAtFull ? true : undefined),
        'a checkpoint to reach the database file',
      );
      assert.equal(w.child.exitCode, null);
    } finally {
      w.child.kill('SIGKILL');
    }
    // The outage was logged once or so (not once per claim, run and request), and its end too.
    const lines = (await w.done).stdout.split('\n');
    const full = lines.filter((l) => l.includes('"store unavailable"') && l.includes('DISK_FULL'));
    assert.ok(full.length >= 1 && full.length <= 4, `the full disk was logged ${full.length} times`);
    assert.ok(
      lines.some((l) => l.includes('"store available again"')),
      'the recovery was not logged',
    );
  });

  it('a daemon killed on a full disk and started again takes its runs over at once', async () => {
    const { r, dataDir, wal } = setup('h');
    // A lease far longer than the test waits: a takeover that waited for it would time the test out.
    const leaseMs = 120_000;
    const first = await serve(r, dataDir, leaseMs);
    let second: Served | undefined;
    try {
      await sendAll(first, 0, 3);
      await waitFor(
        async () => (existsSync(join(r.workspace, 'reached-h')) ? true : undefined),
        'a run in its tool',
      );
      const filler = fillDisk(join(dataDir, '..'));
      const { next } = await sendUntilFull(first, 3);
      first.child.kill('SIGKILL');
      await first.done;
      const peak = statSync(wal).size;

      rmSync(filler);
      writeFileSync(join(r.workspace, 'release-h'), '');
      second = await serve(r, dataDir, leaseMs);
      const started = Date.now();
      const total = next + 5;
      await sendAll(second, next, total);
      await allSucceeded(dataDir, total, 30_000);
      assert.ok(Date.now() - started < leaseMs, 'the runs waited for their lease');
      assertLedgerOnce(r, total);
      // The successor's writes went to the WAL; on a disk this small every pass of its checkpointer
      // truncates, so once idle the WAL is cut back to nothing. (Not "below the dead daemon's WAL": that
      // one's own last checkpoint may have cut its WAL to 0 bytes just before the kill, and nothing is
      // below 0.)
      await waitFor(
        async () => (statSync(wal).size === 0 ? true : undefined),
        `the WAL (${peak} bytes when the first daemon died) to be cut back to nothing`,
        30_000,
      ).catch((err: Error) => {
        const log = second!
          .stdout()
          .split('\n')
          .filter((l) => /checkpoint|store unavailable|store available/.test(l));
        throw new Error(
          `${err.message}; WAL now ${statSync(wal).size} bytes; the daemon logged:\n${log.join('\n')}`,
        );
      });
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
      await Promise.all([first.done, second?.done]);
    }
  });
});
