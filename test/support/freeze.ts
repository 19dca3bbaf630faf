// Freezing a worker (SIGSTOP) for the zombie-worker tests at a moment when it is not inside a store
// transaction. A process stopped inside one keeps its locks: on SQLite a file lock nobody can break (every
// other process, the test's own store included, then waits out its busy timeout and fails), on Postgres row
// locks that hold until `idle_in_transaction_session_timeout` ends the session (30 s by default). Those
// are other scenarios than the tests mean to stage (a worker frozen between two of its commits), so the
// freeze is retried until it lands outside a transaction.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';

/** Where the frozen process keeps its state: an SQLite file, or a Postgres database. */
export type FrozenStore = { sqliteFile: string } | { postgresUrl: string };

/** Stops `child` and resolves once it is stopped holding no store transaction; throws after `attempts`. */
export async function freezeOutsideTransaction(
  child: ChildProcess,
  store: FrozenStore,
  attempts = 100,
): Promise<void> {
  const pid = child.pid!;
  for (let i = 0; i < attempts; i++) {
    child.kill('SIGSTOP');
    await stopped(pid);
    if (!(await inTransaction(pid, store))) return;
    child.kill('SIGCONT');
    await sleep(5 + Math.floor(Math.random() * 20));
  }
  throw new Error(`could not freeze process ${pid} outside a store transaction in ${attempts} attempts`);
}

/** The kernel delivers SIGSTOP asynchronously: wait until /proc says the process is stopped (T). */
async function stopped(pid: number): Promise<void> {
  for (let i = 0; i < 500; i++) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The state follows the command name, which is in parentheses and may itself hold spaces.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'T' || state === 't') return;
    await sleep(2);
  }
  throw new Error(`process ${pid} did not stop`);
}

async function inTransaction(pid: number, store: FrozenStore): Promise<boolean> {
  if ('sqliteFile' in store) return sqliteWriteLockHeld(store.sqliteFile);
  const client = new pg.Client({ connectionString: store.postgresUrl });
  await client.connect();
  try {
    // The store names each connection after its process (src/store/postgres/database.ts).
    const { rows } = await client.query(
      'SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND xact_start IS NOT NULL',
      [`nightshift ${hostname()}/${pid}`],
    );
    return (rows[0] as { n: number }).n > 0;
  } finally {
    await client.end();
  }
}

/** The one lock a frozen process could hold that stops everyone else: SQLite's write lock. */
function sqliteWriteLockHeld(file: string): boolean {
  const db = new Database(file, { timeout: 0 });
  try {
    db.exec('BEGIN IMMEDIATE');
    db.exec('ROLLBACK');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw err;
  } finally {
    db.close();
  }
}
