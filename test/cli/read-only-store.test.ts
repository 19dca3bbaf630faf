// The commands that only show what is stored read the store without writing it: they work on a store this
// user may not write (a read-only file in a read-only folder), leave its bytes as they were, and refuse a
// store that needs a migration instead of migrating it. Real CLI processes on a real SQLite file; the
// reader is another user (nobody, through setpriv) when the tests run as root, whom modes do not stop.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, cpSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { migrations } from '../../src/store/sqlite/migrations.js';
import { cliPath, json, runCli } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { writeTestRole } from '../support/roles.js';

const root = process.getuid?.() === 0;
const NOBODY = 65534;
const setprivFound = spawnSync('setpriv', ['--version']).status === 0;
// The reader must reach the CLI itself: `npm run test:lts` runs the suite from a private temp copy (mode
// 0700), which nobody cannot enter; there the case cannot be run as another user, and says so.
const nobodyReachesCli =
  !root ||
  (setprivFound &&
    spawnSync('setpriv', [
      '--reuid=nobody',
      '--regid=nogroup',
      '--clear-groups',
      process.execPath,
      '-e',
      `require('node:fs').accessSync(${JSON.stringify(cliPath)})`,
    ]).status === 0);

/** Runs the CLI as a user who may not write `dataDir` (nobody when we are root). */
function readAs(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const argv = [cliPath, ...args];
  const res = root
    ? spawnSync(
        'setpriv',
        ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, ...argv],
        {
          cwd: repoRoot,
          encoding: 'utf8',
        },
      )
    : spawnSync(process.execPath, argv, { cwd: repoRoot, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** A copy of the store that its reader may read and not write: file 0400, folder 0500. */
function readOnlyCopy(from: string, to: string): string {
  cpSync(from, to, { recursive: true });
  for (const f of readdirSync(to)) {
    if (root) chownSync(join(to, f), NOBODY, NOBODY);
    chmodSync(join(to, f), 0o400);
  }
  if (root) chownSync(to, NOBODY, NOBODY);
  chmodSync(to, 0o500);
  return to;
}

const digest = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('commands that only read, on a store they may not write', {
  skip:
    root && !setprivFound
      ? 'setpriv is not installed'
      : !nobodyReachesCli
        ? `user nobody cannot reach ${cliPath}`
        : false,
}, () => {
  const r = writeTestRole({
    autonomy: 'observe',
    turns: [{ final: { summary: 'looked' } }],
  });
  let runId = '';
  after(() => {
    chmodSync(r.dir, 0o700);
    for (const d of readdirSync(r.dir)) chmodSync(join(r.dir, d), 0o700);
    r.cleanup();
  });
  before(async () => {
    const res = await runCli(['run', r.file, '--data-dir', r.dataDir, '--json']);
    assert.equal(res.code, 0, res.stderr);
    runId = json<{ runId: string }>(res).runId;
    // The reader (nobody) must reach the store's folder and the role's.
    chmodSync(r.dir, 0o755);
  });

  it('runs, show, status, inbox, stats, audit, audit verify, token list, versions and improve --history read it and write nothing', () => {
    const ro = readOnlyCopy(r.dataDir, join(r.dir, 'ro'));
    const before = digest(join(ro, 'nightshift.db'));
    const commands = [
      ['runs'],
      ['show', runId],
      ['status'],
      ['inbox'],
      ['stats'],
      ['audit'],
      ['audit', 'verify'],
      ['token', 'list'],
      ['versions', 'test-role'],
      ['improve', 'test-role', '--history'],
      ['improve', r.file, '--history'],
    ];
    for (const args of commands) {
      const res = readAs([...args, '--data-dir', ro]);
      assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
    }
    assert.match(readAs(['runs', '--data-dir', ro]).stdout, new RegExp(runId));
    assert.match(readAs(['stats', '--data-dir', ro]).stdout, /test-role/);
    assert.deepEqual(
      JSON.parse(readAs(['improve', 'test-role', '--history', '--data-dir', ro, '--json']).stdout),
      {
        role: 'test-role',
        rounds: [],
      },
    );
    assert.deepEqual(readdirSync(ro), ['nightshift.db'], 'nothing created beside the file');
    assert.equal(digest(join(ro, 'nightshift.db')), before);
  });

  it('a store that needs a migration is refused to a user who may not write it, migrated for one who may', () => {
    const old = join(r.dir, 'old');
    cpSync(r.dataDir, old, { recursive: true });
    // A store as an older nightshift left it: the newest migration that adds a column, undone.
    const undoable = migrations
      .map((m) => ({ m, added: /^ALTER TABLE (\w+) ADD COLUMN (\w+)/.exec(m.sql) }))
      .filter((x) => x.added)
      .sort((a, b) => b.m.version - a.m.version)[0];
    assert.ok(undoable, 'a migration that adds a column');
    const newest = undoable.m.version;
    const db = new Database(join(old, 'nightshift.db'));
    db.prepare('DELETE FROM schema_migrations WHERE version = ?').run(newest);
    db.exec(`ALTER TABLE ${undoable.added![1]} DROP COLUMN ${undoable.added![2]}`);
    db.close();
    const ro = readOnlyCopy(old, join(r.dir, 'old-ro'));
    const before = digest(join(ro, 'nightshift.db'));
    const res = readAs(['runs', '--data-dir', ro]);
    assert.equal(res.code, 1, res.stderr);
    assert.match(res.stderr, /STORE_ERROR/);
    assert.match(res.stderr, new RegExp(`needs migrating \\(it lacks schema migration ${newest}\\)`));
    assert.match(res.stderr, /nightshift serve/);
    assert.equal(digest(join(ro, 'nightshift.db')), before, 'not migrated');
    // After an upgrade, `show` or `runs` before `serve` by the store's owner: migrated, as before reads
    // were read-only.
    const owner = runAsOwner(['runs', '--data-dir', old]);
    assert.equal(owner.code, 0, owner.stderr);
    assert.match(owner.stdout, new RegExp(runId));
    const migratedDb = new Database(join(old, 'nightshift.db'), { readonly: true });
    const migrated = migratedDb
      .prepare('SELECT count(*) FROM schema_migrations WHERE version = ?')
      .pluck()
      .get(newest) as number;
    migratedDb.close();
    assert.equal(migrated, 1, 'migrated for its owner');
  });
});

function runAsOwner(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const res = spawnSync(process.execPath, [cliPath, ...args], { cwd: repoRoot, encoding: 'utf8' });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}
