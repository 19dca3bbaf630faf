// Two people deciding the same paused run at the same moment through two processes' stores (two
// runtimes, each with its own connections): the first decider wins, the other is told the approval or
// escalation was already decided (APPROVAL_NOT_PENDING / ESCALATION_NOT_PENDING, docs/escalation.md),
// never the store's internal STORE_CONFLICT; and the drafted call runs once. On Postgres and SQLite.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Runtime } from '../../src/runtime/types.js';
import { createRuntime } from '../../src/runtime.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const skip = await postgresUnavailable();
const RACES = 6;

type Open = (r: TestRole) => Promise<[Runtime, Runtime]>;

function codesOf(results: PromiseSettledResult<unknown>[]): string[] {
  return results.map((x) =>
    x.status === 'fulfilled' ? 'ok' : String((x.reason as { code?: string }).code ?? x.reason),
  );
}

function races(kind: string, open: Open) {
  const made: TestRole[] = [];
  after(() => {
    for (const r of made) r.cleanup();
  });

  it(`approvals (${kind}): one approve wins, the other hears APPROVAL_NOT_PENDING`, async () => {
    const r = writeTestRole({
      autonomy: 'draft',
      tools: ['fs.write'],
      turns: [
        { call: 'fs.write', args: { path: 'out.txt', content: 'once' } },
        { final: { summary: 'done' } },
      ],
    });
    made.push(r);
    const [a, b] = await open(r);
    try {
      for (let i = 0; i < RACES; i++) {
        const paused = await a.run(r.file, { i });
        assert.equal(paused.status, 'awaiting_approval');
        const id = paused.pending[0]!;
        const results = await Promise.allSettled([
          a.approve(id, { by: 'alice', drive: 'queue' }),
          b.approve(id, { by: 'bob', drive: 'queue' }),
        ]);
        assert.deepEqual(codesOf(results).sort(), ['APPROVAL_NOT_PENDING', 'ok'], `race ${i}`);
        const snap = (await a.get(paused.runId))!;
        assert.equal(snap.steps.filter((s) => s.kind === 'approval_decided').length, 1);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });

  it(`escalations (${kind}): one answer wins, the other hears ESCALATION_NOT_PENDING`, async () => {
    const r = writeTestRole({
      autonomy: 'full',
      turns: [{ escalate: { category: 'legal', reason: 'needs a person' } }, { final: { summary: 'done' } }],
    });
    made.push(r);
    const [a, b] = await open(r);
    try {
      for (let i = 0; i < RACES; i++) {
        const paused = await a.run(r.file, { i });
        assert.equal(paused.status, 'escalated');
        const id = paused.escalations[0]!.id;
        const results = await Promise.allSettled([
          a.answer(id, 'go on', { by: 'alice', drive: 'queue' }),
          b.answer(id, 'stop', { by: 'bob', drive: 'queue' }),
        ]);
        assert.deepEqual(codesOf(results).sort(), ['ESCALATION_NOT_PENDING', 'ok'], `race ${i}`);
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
}

describe('two deciders at once', () => {
  describe('on Postgres', { skip }, () => {
    const schema = freshSchema();
    after(() => dropSchema(schema));
    races('postgres', async () => {
      const open = () =>
        createRuntime({
          databaseUrl: TEST_DATABASE_URL,
          env: { ...process.env, NIGHTSHIFT_DATABASE_SCHEMA: schema },
        });
      return [await open(), await open()];
    });
  });

  describe('on SQLite', () => {
    races('sqlite', async (r) => [
      await createRuntime({ dataDir: r.dataDir }),
      await createRuntime({ dataDir: r.dataDir }),
    ]);
  });
});
