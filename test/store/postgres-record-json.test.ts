// The JSON columns of steps, tool calls and audit events travel encoded once inside the record arrays
// (commit-statement.ts), or, when the array's text has a `\u` escape, as their JSON text (encoded twice).
// Either way Postgres must store exactly the text the store has always stored, JSON.stringify of the
// value (null for undefined): written here through the grouped engine commit and the run create, real
// Postgres, and read back as text.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { recordsJson } from '../../src/store/postgres/commit-statement.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { CommitBatch } from '../../src/store/types.js';
import { newCall, newRun, step } from '../contract/store.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';

const skip = await postgresUnavailable();
if (skip) process.stdout.write(`# ${skip}\n`);

/** Values whose text has no `\u` escape: they travel encoded once. */
const PLAIN: unknown[] = [
  { z: 1, a: 'key order kept', nested: { list: [1, 'two', null, { deep: true }], empty: {} } },
  'a string',
  'é ☃ 😀 and a quote " a backslash \\ a slash / a newline \n a tab \t',
  null,
  undefined,
  0,
  -0,
  1.5,
  1e21,
  true,
  [],
  {},
  [{ b: 2, a: 1 }, [[]]],
  { at: new Date(0), n: Number.NaN },
];

/** Values whose text has a `\u` escape (Postgres would decode or refuse some): encoded twice. */
const ESCAPED: unknown[] = [
  { nul: 'a\u0000b' },
  'bell \u0007 and unit separator \u001f',
  { path: 'C:\\users\\u0041' },
  { lone: 'x\ud800y' },
];

const expectedText = (v: unknown) => JSON.stringify(v === undefined ? null : v);

function batch(runId: string, v: unknown): CommitBatch {
  return {
    runId,
    expectSeq: 1,
    at: 10,
    steps: [{ ...step(runId, 2), data: v as never }],
    toolCalls: [newCall(runId, 2, 0, { args: v as never, result: v as never })],
    audit: [{ at: 11, actor: 'test', action: 'tested', runId, target: null, data: v as never }],
  };
}

describe('JSON columns of records, encoded once or twice', { skip }, () => {
  const schema = freshSchema();
  after(() => dropSchema(schema));

  it('travel as values when no \\u escape is in the text, and as text otherwise', () => {
    const [plainSteps] = recordsJson(PLAIN.map((v, i) => batch(`run_${i}`, v)));
    assert.match(plainSteps, /"data":\{"z":1,"a":"key order kept"/);
    assert.doesNotMatch(plainSteps, /data_text/);
    const [mixed, calls] = recordsJson([batch('run_a', PLAIN[0]), batch('run_b', ESCAPED[0])]);
    assert.match(mixed, /"data_text":"\{\\"z\\":1/);
    assert.doesNotMatch(mixed, /"data":/);
    assert.match(calls, /"args_text":/);
  });

  for (const [name, values] of [
    ['encoded once', PLAIN],
    ['encoded twice', ESCAPED],
  ] as const)
    it(`store the same text as JSON.stringify of the value (${name})`, async () => {
      const store = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
      const client = new pg.Client({
        connectionString: TEST_DATABASE_URL,
        options: `-c search_path=${schema}`,
      });
      await store.init();
      await client.connect();
      try {
        const runs = values.map(() => newRun());
        // Created with a step holding the value (the create statements), then committed together (one group).
        await Promise.all(
          runs.map((run, i) =>
            store.createRun(run, {
              steps: [{ ...step(run.id, 1, 'run_started'), data: values[i] as never }],
              at: 1,
            }),
          ),
        );
        const before = store.groupCommit.stats.statements;
        await Promise.all(runs.map((run, i) => store.commit(batch(run.id, values[i]))));
        assert.ok(store.groupCommit.stats.statements > before, 'the grouped commit wrote them');
        for (const [i, run] of runs.entries()) {
          const want = expectedText(values[i]);
          const text = async (sql: string) =>
            (await client.query(sql, [run.id])).rows.map((r) => Object.values(r));
          assert.deepEqual(await text('SELECT data::text FROM steps WHERE run_id = $1 ORDER BY seq'), [
            [want],
            [want],
          ]);
          assert.deepEqual(await text('SELECT args::text, result::text FROM tool_calls WHERE run_id = $1'), [
            [want, want],
          ]);
          assert.deepEqual(await text('SELECT data::text FROM audit_events WHERE run_id = $1'), [[want]]);
        }
      } finally {
        await client.end();
        await store.close();
      }
    });
});
