// `nightshift audit` exports the hash-chained audit log as JSON lines; `audit verify` exits 0 with a
// count when the chain holds and 1, naming the entry, when a row was edited behind the store's back.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { runCli, startCli } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

describe('nightshift audit', () => {
  it('piped into a reader that stops early (| head) ends quietly, with no EPIPE', async () => {
    const r = writeTestRole({ name: 'piped', autonomy: 'observe', turns: [{ final: { summary: 'done' } }] });
    made.push(r);
    for (let i = 0; i < 3; i++)
      assert.equal((await runCli(['run', r.file, '--data-dir', r.dataDir])).code, 0);
    // The read end is closed before the CLI writes a line: every write meets a closed pipe.
    const started = startCli(['audit', '--data-dir', r.dataDir]);
    started.child.stdout!.destroy();
    const res = await started.done;
    assert.doesNotMatch(res.stderr, /EPIPE|Unhandled 'error' event/);
    assert.equal(res.code, 0, res.stderr);
  });

  it('exports JSON lines with hashes; verify passes, then fails at an edited entry', async () => {
    const r = writeTestRole({
      name: 'watcher',
      autonomy: 'observe',
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: { summary: 'done' } }],
    });
    made.push(r);
    const ran = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(ran.code, 0, ran.stderr);

    const exported = await runCli(['audit', '--data-dir', r.dataDir]);
    assert.equal(exported.code, 0, exported.stderr);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((l) => l.action),
      ['role.version_seen', 'run.created', 'policy.denied'],
    );
    for (const l of lines) assert.match(l.hash, /^[0-9a-f]{64}$/);
    // The role version is run-less (its own chain); the run's entries make the run's chain.
    assert.equal(lines[0].prevHash, '0'.repeat(64));
    assert.equal(lines[1].prevHash, '0'.repeat(64));
    assert.equal(lines[2].prevHash, lines[1].hash);
    assert.equal(lines[2].data.tool, 'fs.write');

    const other = await runCli(['audit', '--role', 'nobody', '--data-dir', r.dataDir]);
    assert.equal(other.stdout.trim(), '');

    const ok = await runCli(['audit', 'verify', '--data-dir', r.dataDir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /intact: 3 entries/);

    const db = new Database(join(r.dataDir, 'nightshift.db'));
    db.prepare("UPDATE audit_events SET actor = 'mallory' WHERE id = ?").run(lines[1].id);
    db.close();
    const broken = await runCli(['audit', 'verify', '--data-dir', r.dataDir]);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, new RegExp(`broken at entry ${lines[1].id}: .*edited`));
    const json = await runCli(['audit', 'verify', '--json', '--data-dir', r.dataDir]);
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).broken.id, lines[1].id);
  });

  it('--since takes what stats --since takes, and anything else exits 2 saying what it accepts', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'nightshift-audit-since-'));
    try {
      // An empty store (audit reads one; it does not make one).
      const store = openSqliteStore({ dataDir });
      await store.init();
      await store.close();
      const ok = await runCli(['audit', '--since', '2w', '--data-dir', dataDir]);
      assert.equal(ok.code, 0, ok.stderr);
      // A bare number was once read by Date.parse as a year ('7' = 2001); it is refused now.
      for (const bad of ['yesterday', '7']) {
        const r = await runCli(['audit', '--since', bad, '--data-dir', dataDir]);
        assert.equal(r.code, 2);
        assert.match(r.stderr, /--since '.*' is not understood: give a duration back from now/);
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
