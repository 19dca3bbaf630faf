// WAL frames per run, by the b-tree each frame belongs to: a count, not a timing, so it holds on a busy
// machine. Runs the durable-runs task (its script; the tools from wire-task) sequentially at NORMAL, then
// checkpoints (TRUNCATE) so the WAL is empty, runs --runs more, copies the database and its WAL, and
// reads the frame headers of the copy: each frame's page number, mapped to its table or index through
// the dbstat virtual table. Every frame is one page written by a COMMIT (two pwrites), and each frame
// comes back as a page write of the checkpoint.
//
//   node dist/bench/wal-pages.js [--warm 300] [--runs 100]
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { createRuntime } from '../src/runtime.js';
import { DATABASE_FILE } from '../src/store/sqlite/open.js';
import { tempDir } from '../test/support/tmp.js';
import { scriptedTaskRole } from './wire-task.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const warm = Number(arg('warm', '300'));
// Few enough that the WAL stays below the automatic checkpoint (10,000 pages) while they run.
const runs = Number(arg('runs', '100'));
const tmp = tempDir('nightshift-wal-pages-');
try {
  const role = scriptedTaskRole(tmp.path);
  const dataDir = join(tmp.path, 'data');
  const runtime = await createRuntime({ dataDir });
  // As durable-runs --unsynced: the frames are the same, the fsync is not what is counted here.
  const commit = runtime.store.commit.bind(runtime.store);
  runtime.store.commit = (batch) => commit({ ...batch, durable: false });
  const once = async () => {
    const r = await runtime.run(role, { customerId: 'cust-42' });
    if (r.status !== 'succeeded') throw new Error(`run ${r.runId} ended ${r.status}`);
  };
  for (let i = 0; i < warm; i++) await once();
  const dbPath = join(dataDir, DATABASE_FILE);
  const side = new Database(dbPath);
  side.pragma('wal_checkpoint(TRUNCATE)');
  for (let i = 0; i < runs; i++) await once();
  copyFileSync(dbPath, join(tmp.path, 'copy.db'));
  copyFileSync(`${dbPath}-wal`, join(tmp.path, 'copy.db-wal'));
  side.close();
  await runtime.close();

  // WAL format (sqlite.org/fileformat.html): a 32-byte header (page size at 8, salts at 16 and 20), then
  // frames of a 24-byte header (page number at 0, database size after commit at 4, salts at 8 and 12)
  // and the page. Frames whose salts differ are left over from before the last checkpoint.
  const wal = readFileSync(join(tmp.path, 'copy.db-wal'));
  const pageSize = wal.readUInt32BE(8);
  const salt = [wal.readUInt32BE(16), wal.readUInt32BE(20)];
  const pages: number[] = [];
  let commits = 0;
  for (let off = 32; off + 24 + pageSize <= wal.length; off += 24 + pageSize) {
    if (wal.readUInt32BE(off + 8) !== salt[0] || wal.readUInt32BE(off + 12) !== salt[1]) break;
    pages.push(wal.readUInt32BE(off));
    if (wal.readUInt32BE(off + 4) !== 0) commits++;
  }
  const copy = new Database(join(tmp.path, 'copy.db'), { readonly: true });
  const owner = new Map(
    (copy.prepare('SELECT name, pageno FROM dbstat').all() as { name: string; pageno: number }[]).map((r) => [
      r.pageno,
      r.name,
    ]),
  );
  copy.close();
  const byTree: Record<string, number> = {};
  for (const p of pages) {
    const name = owner.get(p) ?? '(free)';
    byTree[name] = (byTree[name] ?? 0) + 1;
  }
  const perRun = Object.fromEntries(
    Object.entries(byTree)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => [k, Math.round((v / runs) * 100) / 100]),
  );
  process.stdout.write(
    `${JSON.stringify({ runs, framesPerRun: pages.length / runs, commitsPerRun: commits / runs, pagesPerCommit: Math.round((pages.length / commits) * 100) / 100, framesPerRunByTree: perRun })}\n`,
  );
} finally {
  tmp.cleanup();
}
