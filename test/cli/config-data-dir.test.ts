// Which store the CLI opens when nightshift.config.yaml names a `dataDir`: the flag, else the environment
// (NIGHTSHIFT_DATABASE_URL selects Postgres; NIGHTSHIFT_DATA_DIR), else the file (docs/deployment.md,
// "Settings"). Real CLI processes in a folder with a real config file; a real Postgres for the URL.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { json, runCli, startServe } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

/** A project folder (the role's) whose nightshift.config.yaml says `dataDir: ./dd`. */
function project(): { dir: string; dd: string } {
  const r = role({ autonomy: 'full', turns: [{ final: { done: true } }] });
  writeFileSync(join(r.dir, 'nightshift.config.yaml'), 'dataDir: ./dd\n');
  return { dir: r.dir, dd: join(r.dir, 'dd') };
}

/** Only the variables a test sets: the ones of the process running the tests would choose for it. */
const clean = { NIGHTSHIFT_DATABASE_URL: '', NIGHTSHIFT_DATA_DIR: '', NIGHTSHIFT_DATABASE_SCHEMA: '' };

describe('the config file dataDir comes after the flag and the environment', () => {
  it('NIGHTSHIFT_DATA_DIR beats the file, --data-dir beats both, and the file is used when neither is set', async () => {
    const p = project();
    const opts = (env: Record<string, string> = {}) => ({ cwd: p.dir, env: { ...clean, ...env } });
    // A reading command on no store names the store it looked for.
    const fromFile = await runCli(['runs'], opts());
    assert.equal(fromFile.code, 2, fromFile.stderr);
    assert.ok(fromFile.stderr.includes(join(p.dd, 'nightshift.db')), fromFile.stderr);
    // before: the file's ./dd was read, NIGHTSHIFT_DATA_DIR ignored.
    const fromEnv = await runCli(['runs'], opts({ NIGHTSHIFT_DATA_DIR: './ee' }));
    assert.equal(fromEnv.code, 2, fromEnv.stderr);
    assert.ok(fromEnv.stderr.includes(join(p.dir, 'ee', 'nightshift.db')), fromEnv.stderr);
    const fromFlag = await runCli(['runs', '--data-dir', './ff'], opts({ NIGHTSHIFT_DATA_DIR: './ee' }));
    assert.equal(fromFlag.code, 2, fromFlag.stderr);
    assert.ok(fromFlag.stderr.includes(join(p.dir, 'ff', 'nightshift.db')), fromFlag.stderr);
  });

  it('NIGHTSHIFT_DATABASE_URL beats the file: serve and the commands use Postgres, no SQLite file is made', async (t) => {
    const skip = await postgresUnavailable();
    if (skip) return t.skip(skip);
    const schema = freshSchema();
    t.after(() => dropSchema(schema));
    const p = project();
    const env = { ...clean, NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
    // before: serve opened ./dd/nightshift.db and Postgres was never touched.
    const served = await startServe(['role.yaml', '--port', '0'], { cwd: p.dir, env });
    try {
      assert.ok(served.token, 'the test token was made in the store serve uses');
      const res = await fetch(`${served.url}/events/none`, { method: 'POST', headers: served.auth });
      assert.notEqual(res.status, 401, 'serve reads the tokens of the Postgres store');
    } finally {
      served.child.kill('SIGTERM');
      await served.done;
    }
    const tokens = json<{ name: string }[]>(await runCli(['token', 'list', '--json'], { cwd: p.dir, env }));
    assert.ok(
      tokens.some((x) => x.name === 'test-client'),
      JSON.stringify(tokens),
    );
    assert.equal(existsSync(p.dd), false, 'no SQLite store in the config file dataDir');
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const found = await client.query('SELECT to_regclass($1) AS t', [`${schema}.schema_migrations`]);
      assert.notEqual(found.rows[0].t, null, 'the Postgres schema was made');
    } finally {
      await client.end();
    }
  });
});
