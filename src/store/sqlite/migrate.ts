// Applies the numbered migrations that a database has not seen yet, recording each in schema_migrations.
import type Database from 'better-sqlite3';
import { NightshiftError } from '../../errors.js';
import { type Migration, migrations } from './migrations.js';

/**
 * Brings the schema up to date. Idempotent; safe when several processes start at once: BEGIN IMMEDIATE
 * takes the write lock before reading which migrations are done, so the second process waits, then finds
 * nothing left to do.
 */
export function migrate(db: Database.Database, list: readonly Migration[] = migrations): number[] {
  const applied: number[] = [];
  db.exec('BEGIN IMMEDIATE');
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)',
    );
    const done = new Set(
      db
        .prepare('SELECT version FROM schema_migrations')
        .pluck()
        .all()
        .map((v) => Number(v)),
    );
    const newest = Math.max(0, ...list.map((m) => m.version));
    const ahead = [...done].filter((v) => v > newest);
    if (ahead.length > 0) {
      // Fail closed: this code does not know the newer schema and could corrupt it.
      throw new NightshiftError(
        'STORE_ERROR',
        `the database has schema migration ${Math.max(...ahead)}, newer than this nightshift knows (${newest}); upgrade nightshift to open it`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const m of [...list].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      db.exec(m.sql);
      m.after?.(db);
      record.run(m.version, m.name, Date.now());
      applied.push(m.version);
    }
    db.exec('COMMIT');
  } catch (err) {
    if (db.inTransaction) db.exec('ROLLBACK');
    throw err;
  }
  return applied;
}

/**
 * For a store opened only to read: runs nothing, and refuses a schema this code would misread (one that
 * needs a migration, or one newer than this nightshift knows), saying which command migrates it.
 */
export function requireCurrentSchema(
  db: Database.Database,
  path: string,
  list: readonly Migration[] = migrations,
): void {
  const hasTable = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
    .get();
  const done = new Set(
    hasTable
      ? db
          .prepare('SELECT version FROM schema_migrations')
          .pluck()
          .all()
          .map((v) => Number(v))
      : [],
  );
  const newest = Math.max(0, ...list.map((m) => m.version));
  const ahead = [...done].filter((v) => v > newest);
  if (ahead.length > 0)
    throw new NightshiftError(
      'STORE_ERROR',
      `SQLite store ${path}: the database has schema migration ${Math.max(...ahead)}, newer than this nightshift knows (${newest}); upgrade nightshift to open it`,
    );
  const missing = list.filter((m) => !done.has(m.version)).map((m) => m.version);
  if (missing.length > 0)
    throw new NightshiftError(
      'STORE_ERROR',
      `SQLite store ${path}: the database needs migrating (it lacks schema migration${missing.length > 1 ? 's' : ''} ${missing.sort((a, b) => a - b).join(', ')}) and a command that only reads does not migrate it; run a command that writes (\`nightshift serve\`, \`nightshift run\`) once as a user that may write the store, then read it again`,
      { details: { missingMigrations: missing } },
    );
}
