// The audit log contract (test/contract/audit.ts) on Postgres, tampered with through its own connection;
// the migration that turns an existing log into the chain's genesis; and appends from concurrent
// transactions (several workers), which must still make chains that verify, also while being written.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pg from 'pg';
import { verifyAuditLog } from '../../src/audit/read.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { describeAuditContract } from '../contract/audit.js';
import { newRun, step } from '../contract/store.js';
import {
  dropSchema,
  freshSchema,
  postgresUnavailable,
  schemaBefore,
  TEST_DATABASE_URL,
} from '../support/postgres.js';

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);

/** `?` placeholders as Postgres numbers them. */
const numbered = (sql: string) => {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
};

async function onSchema(schema: string, fn: (c: pg.Client) => Promise<void>): Promise<void> {
  const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await c.connect();
  try {
    await c.query(`SET search_path TO ${schema}`);
    await fn(c);
  } finally {
    await c.end();
  }
}

if (!skip) {
  describeAuditContract('postgres', async () => {
    const schema = freshSchema();
    return {
      open: () => openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
      tamper: (sql, params) =>
        onSchema(schema, async (c) => {
          await c.query(numbered(sql), params);
        }),
      cleanup: () => dropSchema(schema),
    };
  });
}

describe('audit chain on postgres', { skip }, () => {
  it('chains the entries written before migration 9, in id order, and verifies', async () => {
    const schema = freshSchema();
    try {
      // A schema as an older nightshift left it: migrations up to 7, two audit entries.
      const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await c.connect();
      try {
        await schemaBefore(c, schema, 8);
        await c.query(
          `INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES
             (1, 'ana', 'approval.approved', 'r1', 'ap1', '{"note":"ok"}'),
             (2, 'kim', 'run.cancelled', 'r2', 'r2', '{"reason":"é ünïcode 💥"}')`,
        );
      } finally {
        await c.end();
      }
      const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      await store.init();
      try {
        assert.deepEqual(await verifyAuditLog(store), { ok: true, count: 2 });
      } finally {
        await store.close();
      }
    } finally {
      await dropSchema(schema);
    }
  });

  it('entries of the same new chains inserted by racing transactions still make chains that verify', async () => {
    // Migration 11's trigger keeps the column default's id for a chain's first entry and retries as an
    // append when another transaction began the chain first: eight connections race to begin and extend
    // the same five chains, each entry its own transaction.
    const schema = freshSchema();
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    try {
      await store.init();
      await Promise.all(
        Array.from({ length: 8 }, (_, w) =>
          onSchema(schema, async (c) => {
            for (let i = 0; i < 25; i++)
              await c.query(
                'INSERT INTO audit_events (at, actor, action, run_id, target, data) VALUES ($1, $2, $3, $4, NULL, $5)',
                [i, `w${w}`, 'race', `race_${(w + i) % 5}`, JSON.stringify({ w, i })],
              );
          }),
        ),
      );
      assert.deepEqual(await verifyAuditLog(store), { ok: true, count: 200 });
      const heads = await store.auditChainHeads();
      assert.equal(heads.length, 5);
    } finally {
      await store.close();
      await dropSchema(schema);
    }
  });

  it('concurrent commits from several store objects (workers) make chains that verify, also while written', async () => {
    const schema = freshSchema();
    const stores = Array.from({ length: 4 }, () =>
      openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
    );
    try {
      for (const s of stores) await s.init();
      await Promise.all(
        stores.flatMap((s, w) =>
          Array.from({ length: 10 }, async (_, i) => {
            const run = newRun({ id: `run_${w}_${i}`, seq: 1 });
            await s.createRun(run, {
              steps: [step(run.id, 1)],
              audit: [
                { at: 1, actor: `w${w}`, action: 'run.created', runId: run.id, target: null, data: { i } },
              ],
              at: 1,
            });
            await s.commit({
              runId: run.id,
              expectSeq: 1,
              steps: [step(run.id, 2)],
              audit: [
                { at: 2, actor: `w${w}`, action: 'a', runId: run.id, target: null, data: {} },
                { at: 2, actor: `w${w}`, action: 'b', runId: run.id, target: null, data: {} },
              ],
              at: 2,
            });
          }),
        ),
      );
      assert.deepEqual(await verifyAuditLog(stores[0]!), { ok: true, count: 120 });

      // Verifying while workers keep appending (new runs and more entries of these) finds nothing wrong.
      let writing = true;
      const writers = stores.slice(1).map(async (s, w) => {
        for (let i = 0; writing; i++) {
          const run = newRun({ id: `live_${w}_${i}`, seq: 1 });
          await s.createRun(run, {
            steps: [step(run.id, 1)],
            audit: [{ at: 3, actor: 'live', action: 'run.created', runId: run.id, target: null, data: {} }],
            at: 3,
          });
          await s.commit({
            runId: run.id,
            expectSeq: 1,
            steps: [step(run.id, 2)],
            audit: [{ at: 4, actor: 'live', action: 'a', runId: run.id, target: null, data: {} }],
            at: 4,
          });
        }
      });
      try {
        for (let i = 0; i < 5; i++) assert.equal((await verifyAuditLog(stores[0]!)).ok, true);
      } finally {
        writing = false;
        await Promise.all(writers);
      }
      assert.equal((await verifyAuditLog(stores[0]!)).ok, true);
    } finally {
      for (const s of stores) await s.close();
      await dropSchema(schema);
    }
  });
});
