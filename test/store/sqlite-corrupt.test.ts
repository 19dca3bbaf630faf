// A damaged embedded store (pages overwritten on disk, as a failing disk or a careless copy leaves them):
// `serve` must not say it is ready and go on failing run after run over it. It answers /readyz 503
// `{"store":"STORE_CORRUPT"}`, claims nothing, and every error says the file is damaged and what to do;
// nothing rewrites the file. One-shot commands fail with STORE_ERROR saying the same.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { authFor, runCli, startCli, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();
const PAGE = 4096;

function sha(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A data dir with three finished runs in it. */
async function storeWithRuns() {
  const r = role({ autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
  for (let i = 0; i < 3; i++) {
    const made = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(made.code, 0, made.stderr);
  }
  return { r, file: join(r.dataDir, 'nightshift.db') };
}

/** Overwrites pages (1-based numbers) of the file with 0xff, as a bad disk would. */
function damage(file: string, pages: number[]): void {
  const fd = openSync(file, 'r+');
  for (const p of pages) writeSync(fd, Buffer.alloc(PAGE, 0xff), 0, PAGE, (p - 1) * PAGE);
  closeSync(fd);
}

describe('a damaged SQLite store', () => {
  it('serve refuses to start on a file SQLite cannot open, saying it is damaged; the file is left as it was', async () => {
    const { r, file } = await storeWithRuns();
    const pages = readFileSync(file).length / PAGE;
    damage(
      file,
      Array.from({ length: pages - 1 }, (_, i) => i + 2),
    );
    const before = sha(file);
    const served = await startCli(['serve', r.dir, '--port', '0', '--data-dir', r.dataDir]).done;
    assert.equal(served.code, 1);
    assert.match(
      served.stderr,
      /STORE_ERROR.*malformed \(the database file is damaged: stop every process using it/,
    );
    assert.equal(sha(file), before, 'the damaged file was changed');
  });

  it('serve answers /readyz 503 STORE_CORRUPT, claims nothing, and leaves the file as it was', async () => {
    const { r, file } = await storeWithRuns();
    // The approvals table's pages (and its indexes'): the start does not read them, the worker's sweeps do.
    const db = new Database(file, { readonly: true });
    const pages = (
      db.prepare("SELECT pageno FROM dbstat WHERE name LIKE '%approval%'").all() as { pageno: number }[]
    ).map((p) => p.pageno);
    db.close();
    assert.ok(pages.length > 0);
    damage(file, pages);
    const before = sha(file);

    const listed = await runCli(['inbox', '--data-dir', r.dataDir]);
    assert.equal(listed.code, 1);
    assert.match(listed.stderr, /STORE_ERROR/);
    assert.match(listed.stderr, /the database file is damaged: stop every process using it/);
    const served = startCli(['serve', r.dir, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '50']);
    try {
      let stderr = '';
      served.child.stderr!.on('data', (d) => {
        stderr += d;
      });
      const url = await waitFor(
        async () => /at (http:\/\/[^\s"]+)/.exec(stderr)?.[1],
        'serve to listen',
        60_000,
      );
      const ready = await waitFor(
        async () => {
          const res = await fetch(`${url}/readyz`);
          const body = (await res.json()) as { store?: string };
          return res.status === 503 && body.store === 'STORE_CORRUPT' ? body : undefined;
        },
        '/readyz to answer 503 STORE_CORRUPT',
        30_000,
      );
      assert.deepEqual(ready, { ready: false, store: 'STORE_CORRUPT' });
    } finally {
      served.child.kill('SIGKILL');
      await served.done;
    }
    const out = served.stdout();
    assert.match(out, /the database file is damaged/);
    assert.equal(sha(file), before, 'the damaged file was changed');
  });
});

describe('a damaged SQLite store, once found while serving', () => {
  it('takes no more writes once the damage is met: events answer 503 STORE_CORRUPT and no run is recorded', async () => {
    const r = role({
      autonomy: 'full',
      turns: [{ final: { summary: 'done' } }],
      extra: { triggers: [{ event: 'go' }] },
    });
    for (let i = 0; i < 2; i++) {
      const made = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
      assert.equal(made.code, 0, made.stderr);
    }
    const file = join(r.dataDir, 'nightshift.db');
    const db = new Database(file, { readonly: true });
    const pages = (
      db.prepare("SELECT pageno FROM dbstat WHERE name LIKE '%approval%'").all() as { pageno: number }[]
    ).map((p) => p.pageno);
    db.close();
    damage(file, pages);
    const s = await startServe([r.dir, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '50']);
    try {
      await waitFor(
        async () => {
          const body = (await (await fetch(`${s.url}/readyz`)).json()) as { store?: string };
          return body.store === 'STORE_CORRUPT' || undefined;
        },
        '/readyz to say STORE_CORRUPT',
        30_000,
      );
      const res = await fetch(`${s.url}/events/go`, {
        method: 'POST',
        headers: { ...authFor(s.url), 'content-type': 'application/json' },
        body: '{}',
      });
      const body = (await res.json()) as { error?: { code?: string } };
      assert.equal(res.status, 503, JSON.stringify(body));
      assert.equal(body.error?.code, 'STORE_CORRUPT');
    } finally {
      s.child.kill('SIGKILL');
      await s.done;
    }
    // (The start may write before the damage is met, so the file's hash is not compared here.)
    const check = new Database(file, { readonly: true });
    const runs = check.prepare('SELECT count(*) AS n FROM runs').get() as { n: number };
    check.close();
    assert.equal(runs.n, 2, 'a run was recorded in the damaged file');
  });
});
