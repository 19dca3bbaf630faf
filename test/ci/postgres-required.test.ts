// The Postgres suite never passes by skipping in CI: with CI set and no database, its test file fails and
// says why; on a developer's machine without Postgres it is skipped with a message saying so.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../support/paths.js';

// Port 1 on loopback: nothing listens there, so the connection is refused at once.
const NOWHERE = 'postgres://postgres@127.0.0.1:1/test';

function runPostgresSuite(ci: string | undefined) {
  const env: NodeJS.ProcessEnv = { ...process.env, NIGHTSHIFT_TEST_DATABASE_URL: NOWHERE };
  // Set by the test runner that runs this file; left in place, the child would report to it, not to stdout.
  delete env.NODE_TEST_CONTEXT;
  delete env.CI;
  delete env.NIGHTSHIFT_REQUIRE_POSTGRES;
  if (ci !== undefined) env.CI = ci;
  const file = join(repoRoot, 'dist', 'test', 'store', 'postgres.test.js');
  return spawnSync(process.execPath, ['--test', '--test-reporter=tap', file], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

describe('the Postgres tests without a database', () => {
  it('fail in CI, saying the database is required and how to provide it', () => {
    const r = runPostgresSuite('true');
    assert.notEqual(r.status, 0, r.stdout);
    assert.match(r.stdout, /Postgres not reachable at postgres:\/\/postgres@127\.0\.0\.1:1\/test/);
    assert.match(r.stdout, /required in CI/);
    assert.match(r.stdout, /^# pass 0$/m);
  });

  it('are skipped with a message outside CI', () => {
    const r = runPostgresSuite(undefined);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /skipping the Postgres tests \(they are required when CI is set\)/);
    assert.match(r.stdout, /^# fail 0$/m);
  });

  it('are skipped when CI is explicitly false', () => {
    const r = runPostgresSuite('false');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /skipping the Postgres tests/);
  });
});
