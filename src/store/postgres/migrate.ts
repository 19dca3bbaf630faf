// Brings the schema up to date: the numbered, forward-only migrations of migrations.ts that have not run
// yet, in one transaction, under an advisory lock so one migrator runs at a time across every worker.
import { NightshiftError } from '../../errors.js';
import type { Database } from './database.js';
import { migrations } from './migrations.js';

// A migration may rebuild an index of a table with millions of rows (21 rebuilds four on runs), which can
// take longer than the pool's 30 s read timeout. That timeout only gives up in Node: the server would go
// on building under the migration's locks until the transaction died, then roll it all back, and every
// restart would do the same, so the schema never moved. A migration's statements get their own bound.
const MIGRATION_QUERY_TIMEOUT_MS = 30 * 60_000;

export async function migrate(db: Database, o: { create?: boolean; readOnly?: boolean } = {}): Promise<void> {
  const { schema } = db;
  // A command that only reads runs no migration: its failures say it was opening the store.
  await db.tx(o.readOnly ? 'opening' : 'migrating', async (c) => {
    await c.query(`SELECT pg_advisory_xact_lock(hashtext('nightshift.migrate.${schema}'))`);
    if (o.create === false || o.readOnly) {
      // A reading command pointed at the wrong database or schema says so, rather than making an empty
      // store there and answering "no runs". Checked before anything is created.
      const found = await c.query('SELECT to_regclass($1) AS t, current_database() AS db', [
        `${schema}.schema_migrations`,
      ]);
      const row = found.rows[0] as { t: string | null; db: string };
      if (row.t === null)
        throw new NightshiftError(
          'STORE_NOT_FOUND',
          `no nightshift store in Postgres database "${row.db}": schema "${schema}" has no nightshift tables; check NIGHTSHIFT_DATABASE_URL (and NIGHTSHIFT_DATABASE_SCHEMA), or run or serve a role to create it; nothing was created`,
          { details: { database: row.db, schema } },
        );
    }
    // A reading command creates nothing (its database user may have only SELECT rights).
    if (!o.readOnly) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await c.query(`SET LOCAL search_path TO ${schema}`);
    if (!o.readOnly)
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)',
      );
    const done = new Set(
      (await c.query('SELECT version FROM schema_migrations')).rows.map(
        (r: { version: number }) => r.version,
      ),
    );
    const newest = Math.max(0, ...migrations.map((m) => m.version));
    const ahead = [...done].filter((v) => v > newest);
    if (ahead.length > 0) {
      // Fail closed, as the embedded store does: this code does not know the newer schema, and running
      // against it (a worker left on the old version after an upgrade) could write rows it cannot read back.
      throw new NightshiftError(
        'STORE_ERROR',
        `the Postgres schema "${schema}" has schema migration ${Math.max(...ahead)}, newer than this nightshift knows (${newest}); upgrade nightshift to open it`,
      );
    }
    if (o.readOnly) {
      const missing = migrations.map((m) => m.version).filter((v) => !done.has(v));
      if (missing.length > 0)
        throw new NightshiftError(
          'STORE_ERROR',
          `the Postgres schema "${schema}" needs migrating (it lacks schema migration${missing.length > 1 ? 's' : ''} ${missing.sort((a, b) => a - b).join(', ')}) and a command that only reads does not migrate it; run a command that writes (\`nightshift serve\`, \`nightshift run\`) once with a database user that may, then read it again`,
          { details: { missingMigrations: missing } },
        );
      return;
    }
    // In version order, whatever order the list was written in (numbers are handed out per change).
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(m.version)) continue;
      // pg reads `query_timeout` from a query's config too; its types name it only on the connection's.
      await c.query({ text: m.sql, query_timeout: MIGRATION_QUERY_TIMEOUT_MS } as { text: string });
      await c.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
    }
  });
}
