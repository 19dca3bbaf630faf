// A worker frozen inside a transaction (SIGSTOP, a VM stall) keeps its connection open and its row locks
// held. The store asks Postgres to end such a session after `idleInTransactionMs`, so the worker taking
// its runs over is not blocked until the frozen one wakes. Real Postgres; the frozen worker is a store
// whose transaction waits on the test instead of sending its next statement, which is what the server
// sees of a stopped process.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { Database } from '../../src/store/postgres/database.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const skip = await postgresUnavailable();

describe('Postgres: a transaction left idle by a frozen worker', { skip }, () => {
  const schema = freshSchema();
  before(async () => {
    const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await c.connect();
    await c.query(`CREATE SCHEMA ${schema}`);
    await c.query(`CREATE TABLE ${schema}.held (id INT PRIMARY KEY, v INT NOT NULL)`);
    await c.query(`INSERT INTO ${schema}.held VALUES (1, 0)`);
    await c.end();
  });
  after(() => dropSchema(schema));

  /**
   * Holds row 1 in a transaction on a store configured with `idleInTransactionMs`, then lets another
   * connection (with a lock timeout of `waitMs`) update it. Resolves with what each side saw.
   */
  async function contend(idleInTransactionMs: number, waitMs: number) {
    const db = new Database({ connectionString: TEST_DATABASE_URL, schema, idleInTransactionMs });
    let release!: () => void;
    const frozen = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked!: () => void;
    const holding = new Promise<void>((resolve) => {
      locked = resolve;
    });
    let backendPid = 0;
    const held = db
      .tx('holding a row', async (c) => {
        backendPid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
        await c.query('SELECT v FROM held WHERE id = 1 FOR UPDATE');
        locked();
        await frozen;
        await c.query('UPDATE held SET v = v + 100 WHERE id = 1');
      })
      .then(
        () => undefined,
        (err: unknown) => err as Error & { code?: string },
      );
    await holding;
    const other = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await other.connect();
    let name: string | undefined;
    let update: string;
    try {
      name = (await other.query('SELECT application_name FROM pg_stat_activity WHERE pid = $1', [backendPid]))
        .rows[0]?.application_name as string | undefined;
      await other.query(`SET lock_timeout = ${waitMs}`);
      await other.query(`UPDATE ${schema}.held SET v = v + 1 WHERE id = 1`);
      update = 'done';
    } catch (err) {
      update = (err as Error).message;
    } finally {
      release();
      await other.end();
    }
    const heldError = await held;
    // The pool is still usable after its connection was ended under it.
    const after = (await db.q('reading the row', 'SELECT v FROM held WHERE id = 1'))[0]!.v as number;
    await db.pool.end();
    return { name, update, heldError, after };
  }

  it('is ended by the server, so another worker can write the rows it held; the frozen one commits nothing', async () => {
    const r = await contend(300, 20_000);
    assert.equal(r.update, 'done', 'the other connection got the row');
    assert.equal(r.heldError?.code, 'STORE_ERROR', 'the frozen transaction failed when it went on');
    assert.match(r.heldError.message, /holding a row/);
    assert.ok(r.after < 100, `the frozen transaction's update was not committed (v = ${r.after})`);
    assert.equal(r.name, `nightshift ${hostname()}/${process.pid}`, 'the connection names its process');
  });

  it('with the timeout off (0), the row stays locked for as long as the transaction is left idle', async () => {
    const r = await contend(0, 1_500);
    assert.match(r.update, /lock timeout/);
    // Released afterwards, the transaction goes on and commits.
    assert.equal(r.heldError, undefined);
    assert.ok(r.after >= 100);
  });
});
