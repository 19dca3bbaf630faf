// A NIGHTSHIFT_DATABASE_URL node-postgres cannot use as meant is a bad setting, refused before anything
// connects: CONFIG_INVALID, exit 2, naming the variable and what is wrong, never the password. They were
// taken as outages: `garbage` became host `base` (ENOTFOUND), `?query_timeout=abc` timed every query out
// at once, `mysql://` was connected to as Postgres, and `serve` waited for ever. Real CLI processes; no
// database is needed (none is reached).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

const BAD: [string, RegExp][] = [
  ['garbage', /NIGHTSHIFT_DATABASE_URL is not a Postgres URL: it has no postgres:\/\/ scheme/],
  [
    'mysql://root:sekret@127.0.0.1/x',
    /NIGHTSHIFT_DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
  ],
  [
    'postgres://u:sekret@127.0.0.1:5432/db?query_timeout=abc',
    /NIGHTSHIFT_DATABASE_URL has query_timeout=abc: it must be a whole number from 1 to/,
  ],
  ['postgresql://u:sekret@127.0.0.1/db?query_timeout=-5', /has query_timeout=-5/],
  ['postgres://u:sekret@127.0.0.1/db?statement_timeout=5s', /has statement_timeout=5s/],
  ['postgres://u:sekret@127.0.0.1/db?port=x', /has port=x/],
];

/** The variables a test sets, and none the process running the tests may have. */
const env = (url: string, more: Record<string, string> = {}) => ({
  env: { NIGHTSHIFT_DATABASE_URL: url, NIGHTSHIFT_DATABASE_SCHEMA: '', NIGHTSHIFT_DATA_DIR: '', ...more },
});

describe('a bad NIGHTSHIFT_DATABASE_URL', () => {
  it('one-shot commands: CONFIG_INVALID, exit 2, naming the variable and what is wrong, not the password', async () => {
    for (const [url, why] of BAD) {
      // before: exit 1 with "Postgres store: ... failed: getaddrinfo ENOTFOUND base" and the like.
      const res = await runCli(['runs'], env(url));
      assert.equal(res.code, 2, `${url}: ${res.stderr}`);
      assert.match(res.stderr, /CONFIG_INVALID/, url);
      assert.match(res.stderr, why, url);
      assert.doesNotMatch(res.stderr, /sekret/, `${url}: the password is not shown`);
    }
  });

  it('serve refuses it at once instead of waiting for the database', async () => {
    const r = role({ autonomy: 'full', turns: [{ final: { done: true } }] });
    for (const url of ['garbage', 'postgres://u:sekret@127.0.0.1:5432/db?query_timeout=abc']) {
      const t0 = Date.now();
      // before: "store unavailable at start: waiting for the database", for ever.
      const res = await runCli(['serve', r.file, '--port', '0'], env(url));
      assert.equal(res.code, 2, `${url}: ${res.stderr}`);
      assert.match(res.stderr, /CONFIG_INVALID.*NIGHTSHIFT_DATABASE_URL/, url);
      assert.doesNotMatch(res.stdout, /store unavailable at start/, url);
      assert.doesNotMatch(`${res.stdout}${res.stderr}`, /sekret/, url);
      assert.ok(Date.now() - t0 < 60_000, `${url}: refused at start`);
    }
  });

  it('a good URL with an empty idle_in_transaction_session_timeout is taken (it sends none of that one)', async () => {
    // Port 1: nothing listens, so the command fails at the connection: the URL itself was accepted.
    const res = await runCli(
      ['runs'],
      env('postgres://u:sekret@127.0.0.1:1/db?idle_in_transaction_session_timeout=&query_timeout=2000'),
    );
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /STORE_ERROR/);
    // A command that only reads runs no migration. before: "Postgres store: migrating failed: …".
    assert.match(res.stderr, /Postgres store: connecting failed: /);
    assert.doesNotMatch(res.stderr, /sekret/);
  });

  it('a bad NIGHTSHIFT_DATABASE_SCHEMA names the variable and the rule', async () => {
    const res = await runCli(
      ['runs'],
      env('postgres://u@127.0.0.1:1/db', { NIGHTSHIFT_DATABASE_SCHEMA: 'Fresh2' }),
    );
    assert.equal(res.code, 2, res.stderr);
    // before: only "invalid Postgres schema name 'Fresh2'".
    assert.match(
      res.stderr,
      /NIGHTSHIFT_DATABASE_SCHEMA 'Fresh2' is not a valid Postgres schema name: lower-case letters, digits and _, not starting with a digit/,
    );
  });
});
