// A command that only reads (or acts on what is stored) pointed at a store that does not exist says so,
// naming the path, exits 2 (bad input: a wrong --data-dir, a typo in NIGHTSHIFT_DATA_DIR), and creates
// nothing: it used to create an empty store there and answer "no runs", exit 0, which hid the mistake
// and left a stray .nightshift behind. Real CLI processes; a real store for the commands that make one.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { json, runCli } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const READING = [
  ['runs'],
  ['show', 'run_x'],
  ['inbox'],
  ['status'],
  ['stats'],
  ['audit'],
  ['audit', 'verify'],
  ['versions', 'some-role'],
  ['improve', 'some-role', '--history'],
  ['autonomy', 'some-role'],
  ['token', 'list'],
  ['token', 'revoke', 'tok_x'],
  ['approve', 'apr_x'],
  ['reject', 'apr_x', '--reason', 'no'],
  ['answer', 'esc_x', 'yes'],
  ['resume', 'run_x'],
  ['cancel', 'run_x'],
  ['notify', '--once'],
  ['promote', 'some-role', 'abc123'],
  ['rollback', 'some-role'],
];

describe('read-only commands on a store that does not exist', () => {
  const tmp = tempDir('nightshift-missing-store-');
  after(() => tmp.cleanup());

  it('exit 2 with STORE_NOT_FOUND naming the path, and create nothing', async () => {
    const missing = join(tmp.path, 'no-such-dir');
    for (const args of READING) {
      const res = await runCli([...args, '--data-dir', missing]);
      const what = args.join(' ');
      assert.equal(res.code, 2, `${what}: ${res.stderr}`);
      assert.match(res.stderr, /STORE_NOT_FOUND/, what);
      assert.ok(res.stderr.includes(join(missing, 'nightshift.db')), `${what} names the path: ${res.stderr}`);
      assert.match(res.stderr, /does not exist; check --data-dir/, what);
      assert.equal(existsSync(missing), false, `${what} created ${missing}`);
    }
  });

  it('a command that may make the store makes none when its input is refused', async () => {
    const missing = join(tmp.path, 'refused-input');
    const role = join(tmp.path, 'no-such-role.yaml');
    const refused: [string[], RegExp][] = [
      [['versions', role], /ROLE_NOT_FOUND/],
      [['autonomy', role], /ROLE_NOT_FOUND/],
      [['promote', role, 'abc123'], /ROLE_NOT_FOUND/],
      [['improve', role], /USAGE.*--proposer/],
      [['improve', role, '--proposer', 'script:x.yaml'], /ROLE_NOT_FOUND/],
      [['improve', 'examples/roles/refund-desk.yaml', '--proposer', 'nope'], /MODEL_CONFIG.*--proposer/],
    ];
    for (const [args, why] of refused) {
      const res = await runCli([...args, '--data-dir', missing]);
      const what = args.join(' ');
      assert.equal(res.code, 2, `${what}: ${res.stderr}`);
      assert.match(res.stderr, why, what);
      assert.equal(existsSync(missing), false, `${what} created ${missing}`);
    }
  });

  it('input or a decider refused after the role loads makes no store either (run, promote, rollback, improve)', async () => {
    const r = writeTestRole({
      autonomy: 'draft',
      turns: [{ final: { summary: 'done' } }],
      extra: { input: { type: 'object', required: ['n'], properties: { n: { type: 'number' } } } },
    });
    try {
      const missing = join(tmp.path, 'refused-later');
      const refused: [string[], RegExp][] = [
        [['run', r.file, '--input', '{"n":"x"}'], /INPUT_INVALID.*\/n must be number/],
        [['run', r.file], /INPUT_INVALID/],
        [['promote', r.file, 'abc123', '--as', 'policy'], /ACTOR_INVALID/],
        [['rollback', r.file, '--as', 'system'], /ACTOR_INVALID/],
        [
          [
            'improve',
            'examples/roles/refund-desk.yaml',
            '--proposer',
            'script:examples/roles/refund-desk.script.yaml',
            '--as',
            'agent:x',
          ],
          /ACTOR_INVALID/,
        ],
      ];
      for (const [args, why] of refused) {
        const res = await runCli([...args, '--data-dir', missing]);
        const what = args.join(' ');
        assert.equal(res.code, 2, `${what}: ${res.stderr}`);
        assert.match(res.stderr, why, what);
        assert.equal(existsSync(missing), false, `${what} created ${missing}`);
      }
    } finally {
      r.cleanup();
    }
  });

  it('an existing folder without a store gets no store either; the default ./.nightshift is not made', async () => {
    const empty = join(tmp.path, 'empty');
    mkdirSync(empty);
    const res = await runCli(['runs', '--json', '--data-dir', empty]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /empty has no nightshift\.db/);
    assert.deepEqual(readdirSync(empty), []);
    const cwd = join(tmp.path, 'project');
    mkdirSync(cwd);
    const here = await runCli(['stats'], { cwd, env: { NIGHTSHIFT_DATA_DIR: '' } });
    assert.equal(here.code, 2, here.stderr);
    assert.ok(here.stderr.includes(join(cwd, '.nightshift', 'nightshift.db')), here.stderr);
    assert.deepEqual(readdirSync(cwd), []);
  });

  it('once a store exists there, the same commands read it', async () => {
    const dataDir = join(tmp.path, 'made');
    // A command that records something makes the store, as before.
    const made = await runCli([
      'token',
      'create',
      '--service',
      '--as',
      'ci',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(json<unknown[]>(await runCli(['runs', '--json', '--data-dir', dataDir])), []);
    assert.equal(json<unknown[]>(await runCli(['token', 'list', '--json', '--data-dir', dataDir])).length, 1);
  });
});

// The same with Postgres: a read-only command on a schema without nightshift's tables (a wrong
// NIGHTSHIFT_DATABASE_URL or NIGHTSHIFT_DATABASE_SCHEMA) made the schema and every table there.
const skip = await postgresUnavailable();
describe('read-only commands on a Postgres schema without nightshift', { skip }, () => {
  const schema = freshSchema();
  const env = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
  after(() => dropSchema(schema));
  const schemaExists = async () => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const r = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      return r.rowCount === 1;
    } finally {
      await client.end();
    }
  };

  it('exit 2 with STORE_NOT_FOUND naming the schema, and create no schema or table', async () => {
    for (const args of READING) {
      const res = await runCli(args, { env });
      const what = args.join(' ');
      assert.equal(res.code, 2, `${what}: ${res.stderr}`);
      assert.match(res.stderr, /STORE_NOT_FOUND/, what);
      assert.ok(res.stderr.includes(`schema "${schema}" has no nightshift tables`), `${what}: ${res.stderr}`);
      assert.equal(await schemaExists(), false, `${what} created schema ${schema}`);
    }
  });

  it('once a command that records something made it, they read it', async () => {
    const made = await runCli(['token', 'create', '--service', '--as', 'ci', '--json'], { env });
    assert.equal(made.code, 0, made.stderr);
    assert.deepEqual(json<unknown[]>(await runCli(['runs', '--json'], { env })), []);
    assert.equal(json<unknown[]>(await runCli(['token', 'list', '--json'], { env })).length, 1);
  });
});
