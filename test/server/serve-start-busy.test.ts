// `nightshift serve` started while its store is busy (docs/reliability.md, "a busy database"): another
// process holds the SQLite file's write lock past the 5 s busy timeout, or another Postgres session holds
// a lock the migrations need past `lock_timeout`. A running worker waits such a store out; the start
// failed instead (exit 1, "database is locked"), so a service restarted during a long backup or a
// migration by another worker did not come back. Now it waits, logging STORE_BUSY once, and serves once
// the lock is released.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { Store } from '../../src/store/types.js';
import { createTestToken, startCli } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const pgSkip = await postgresUnavailable();

const busyLines = (stdout: string) => stdout.split('\n').filter((l) => l.includes('store busy at start'));

/** Starts serve over a held store, checks it waits, releases the lock, and checks it serves an event. */
async function startsOnceReleased(o: {
  args: string[];
  env: NodeJS.ProcessEnv;
  store: Store;
  hold: () => Promise<void>;
  release: () => Promise<void>;
}): Promise<void> {
  const token = await createTestToken(o.args, { env: o.env });
  assert.ok(token, 'a token was created');
  await o.hold();
  const serve = startCli(['serve', ...o.args, '--port', '0', '--poll-ms', '50'], { env: o.env });
  let stderr = '';
  serve.child.stderr!.on('data', (d) => {
    stderr += d;
  });
  try {
    await waitFor(
      async () => (busyLines(serve.stdout()).length > 0 ? true : undefined),
      `the wait logged (stderr: ${stderr})`,
      30_000,
    );
    assert.equal(serve.child.exitCode, null, `serve exited while the store was busy: ${stderr}`);
    const line = JSON.parse(busyLines(serve.stdout())[0]!) as { code: string; reason: string };
    assert.equal(line.code, 'STORE_BUSY');
    assert.doesNotMatch(stderr, /serving/);
    await o.release();
    const url = await waitFor(
      async () => /at (http:\/\/[^\s"]+)/.exec(stderr)?.[1],
      'serve to announce its URL',
      30_000,
    );
    const posted = await fetch(`${url}/events/job`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ n: 1 }),
    });
    assert.equal(posted.status, 202, await posted.text());
    await waitFor(async () => {
      const runs = await o.store.listRuns({ limit: 10 });
      return runs.length === 1 && runs[0]!.status === 'succeeded' ? true : undefined;
    }, 'the event run to succeed');
    serve.child.kill('SIGTERM');
    assert.equal((await serve.done).code, 0);
  } finally {
    serve.child.kill('SIGKILL');
    await serve.done;
  }
}

const role = (name: string) =>
  writeTestRole({
    name,
    autonomy: 'full',
    tools: [],
    turns: [{ final: { summary: 'ok' } }],
    extra: { triggers: [{ event: 'job' }] },
  });

describe('serve started while its store is busy', () => {
  it('SQLite: waits while another process holds the write lock, then serves', async () => {
    const r = role('busy-start-sqlite');
    mkdirSync(r.dataDir, { recursive: true });
    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    const holder = new Database(join(r.dataDir, 'nightshift.db'));
    try {
      await startsOnceReleased({
        args: [r.dir, '--data-dir', r.dataDir],
        env: {},
        store,
        hold: async () => {
          holder.exec('BEGIN EXCLUSIVE');
        },
        release: async () => {
          holder.exec('COMMIT');
        },
      });
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      await store.close();
      r.cleanup();
    }
  });

  it('SQLite: a lock held past serve.storeBusyLimitMs fails the start (exit 1), not a wait without end', async () => {
    const r = role('busy-start-limit');
    mkdirSync(r.dataDir, { recursive: true });
    const store = openSqliteStore({ dataDir: r.dataDir });
    await store.init();
    const holder = new Database(join(r.dataDir, 'nightshift.db'));
    holder.exec('BEGIN EXCLUSIVE');
    const serve = startCli(['serve', r.dir, '--data-dir', r.dataDir, '--port', '0'], {
      env: { NIGHTSHIFT_STORE_BUSY_LIMIT_MS: '1000' },
    });
    try {
      // Each attempt meets SQLite's own 5 s busy timeout: the limit is passed at the second.
      const done = await Promise.race([
        serve.done,
        new Promise<undefined>((resolve) => setTimeout(resolve, 60_000, undefined)),
      ]);
      assert.ok(done, 'serve still waiting a minute after its busy limit');
      assert.equal(done.code, 1);
      assert.equal(busyLines(serve.stdout()).length, 1, 'the wait was logged before the limit');
    } finally {
      serve.child.kill('SIGKILL');
      await serve.done;
      holder.exec('ROLLBACK');
      holder.close();
      await store.close();
      r.cleanup();
    }
  });

  it('Postgres: waits while another session holds a lock the start needs, then serves', {
    skip: pgSkip,
  }, async () => {
    const r = role('busy-start-pg');
    const schema = freshSchema();
    // A database whose sessions give up waiting for a lock after 0.3 s (a DBA's `lock_timeout`): the
    // URL's options replace the store's own, so they name the schema too.
    const url = new URL(TEST_DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${schema} -c lock_timeout=300`);
    const env = { NIGHTSHIFT_DATABASE_URL: url.toString(), NIGHTSHIFT_DATABASE_SCHEMA: schema };
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    const holder = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await holder.connect();
    try {
      await startsOnceReleased({
        args: [r.dir],
        env,
        store,
        hold: async () => {
          await holder.query('BEGIN');
          await holder.query(`LOCK TABLE ${schema}.schema_migrations IN ACCESS EXCLUSIVE MODE`);
        },
        release: async () => {
          await holder.query('COMMIT');
        },
      });
    } finally {
      await holder.end().catch(() => {});
      await store.close();
      await dropSchema(schema);
      r.cleanup();
    }
  });
});
