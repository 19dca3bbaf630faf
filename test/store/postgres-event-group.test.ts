// One role's event on Postgres (Store.recordEvent with one run delivery, what every `POST /events` of a
// role's event is) travels in the create group: events recorded at the same moment share one statement,
// instead of a transaction of four round trips each (BEGIN, the run, its records, COMMIT; 4 of the 7
// statements per run of the substrate bench's burst, bench/README.md 2026-12-02). Counted in this
// process at node-postgres's Client.query, the same way bench/count-queries.ts counts a worker's.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { EventDelivery } from '../../src/store/types.js';
import { newRun, step } from '../contract/store.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);

function runDelivery(key: string, n: number): EventDelivery & { kind: 'run' } {
  const run = newRun({ role: 'r', status: 'queued', idempotencyKey: key, input: { n } });
  return {
    kind: 'run',
    run,
    init: {
      steps: [step(run.id, 1, 'run_started', { input: run.input })],
      audit: [{ at: 1, actor: 'trigger:event', action: 'run.created', runId: run.id, target: 'r', data: {} }],
      at: 1,
    },
  };
}

describe('postgres: one role event', { skip }, () => {
  it('events recorded at once share create statements, and a found key is still checked', async () => {
    const schema = freshSchema();
    const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    await store.init();
    const original = pg.Client.prototype.query;
    const sent: string[] = [];
    try {
      const prefix = randomBytes(4).toString('hex');
      const deliveries = Array.from({ length: 40 }, (_, i) => runDelivery(`${prefix}-${i}`, i));
      (pg.Client.prototype as unknown as { query: (...a: unknown[]) => unknown }).query = function (
        this: pg.Client,
        ...args: unknown[]
      ) {
        const q = args[0] as string | { text?: string };
        sent.push((typeof q === 'string' ? q : (q.text ?? '')).trim().slice(0, 40));
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      };
      const out = await Promise.all(
        deliveries.map((d) =>
          store.recordEvent([d], () => {
            throw new Error('no delivery was found');
          }),
        ),
      );
      pg.Client.prototype.query = original;
      assert.deepEqual(
        out.map((o) => o[0]!.created),
        deliveries.map(() => true),
      );
      // One group statement for many runs (at most one per in-flight group), no transaction per event.
      assert.equal(sent.filter((s) => s === 'BEGIN').length, 0, sent.join('\n'));
      assert.ok(
        sent.length < deliveries.length / 2,
        `${sent.length} statements for ${deliveries.length} events`,
      );
      for (const d of deliveries) {
        const run = await store.getRun(d.run.id);
        assert.equal(run?.status, 'queued');
        assert.equal((await store.loadRun(d.run.id))?.steps.length, 1);
      }

      // The key known: the found run goes to the check, whose refusal is the answer; nothing is written.
      const again = runDelivery(`${prefix}-0`, 99);
      let seen: string | undefined;
      await assert.rejects(
        store.recordEvent([again], (found) => {
          seen = found.kind === 'run' ? found.run.id : undefined;
          throw new Error('refused by the check');
        }),
        /refused by the check/,
      );
      assert.equal(seen, deliveries[0]!.run.id);
      assert.equal(await store.getRun(again.run.id), undefined);
      // Accepted by the check: the found run is the answer, not created.
      const [found] = await store.recordEvent([again], () => {});
      assert.equal(found?.created, false);
      assert.equal(found?.kind === 'run' ? found.run.id : undefined, deliveries[0]!.run.id);
    } finally {
      pg.Client.prototype.query = original;
      await store.close();
      await dropSchema(schema);
    }
  });
});
