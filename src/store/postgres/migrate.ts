// Brings the schema up to date: the numbered, forward-only migrations of migrations.ts that have not run
// yet, in one transaction, under an advisory lock so one migrator runs at a time across every worker.
import type { Database } from './database.js';
import { migrations } from './migrations.js';

export async function migrate(db: Database): Promise<void> {
  const { schema } = db;
  await db.tx('migrating', async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('nightshift.migrate.${schema}'))`);
    await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query(`SET LOCAL search_path TO ${schema}`);
    await c.query(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
    );
    const done = new Set(
      (await c.query('SELECT version FROM schema_migrations')).rows.map(
        (r: { version: number }) => r.version,
      ),
    );
    // In version order, whatever order the list was written in (numbers are handed out per change).
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      await c.query(m.sql);
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
    }
  });
}
