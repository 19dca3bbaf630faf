// The console's pages and the login forms against a real `nightshift serve` on loopback, over plain HTTP:
// a page's query is read as the API reads one (a parameter given twice, one the page does not take, an
// empty range: a 400 page); the login and logout forms a browser posts are refused with a page, not JSON;
// the agents page shows each continuous agent's lease (holder and expiry).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

/** What a browser sends with a form it posts from one of serve's pages. */
const BROWSER = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };
const codeOf = (html: string) => /role="alert"[^>]*data-code="([^"]*)"/.exec(html)?.[1];

describe('console pages: queries, form refusals and the agents page', () => {
  const role = testRoles();
  const billing = role({ name: 'billing', autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
  const watcher = role({
    name: 'watcher',
    autonomy: 'full',
    turns: [{ final: { summary: 'done' } }],
    extra: { mode: 'continuous', continuous: { leaseSeconds: 30, heartbeatSeconds: 1 } },
  });
  let served: Served;
  let token = '';
  let reader: Record<string, string> = {};
  before(async () => {
    writeFileSync(
      join(billing.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['billing'] }] }),
    );
    const data = ['--data-dir', billing.dataDir];
    const made = await runCli(
      ['token', 'create', '--as', 'alice', '--scope', 'runs:read,decide', '--json', ...data],
      {
        cwd: billing.dir,
      },
    );
    token = json<{ token: string }>(made).token;
    served = await startServe([billing.file, watcher.file, '--port', '0', ...data], { cwd: billing.dir });
    reader = { authorization: `Bearer ${token}` };
  });
  after(() => {
    served?.child.kill('SIGKILL');
  });

  const page = async (path: string) => {
    const res = await fetch(`${served.url}${path}`, { headers: { ...reader, ...BROWSER } });
    // Quotes as the page shows them, for the messages' `"status"`.
    const body = (await res.text()).replaceAll('&quot;', '"').replaceAll('&#39;', "'");
    return { status: res.status, type: res.headers.get('content-type') ?? '', body };
  };

  it('reads a page query as the API does: repeated, unknown or empty-range parameters are a 400 page', async () => {
    // before: the first status was used, unknown parameters and `range=` were ignored: 200 each.
    const refused: [string, RegExp][] = [
      ['/console/runs?status=failed&status=succeeded', /query parameter "status" given more than once/],
      ['/console/runs?colour=blue', /unknown query parameter "colour": this page takes role, status, cursor/],
      ['/console/stats?range=', /unknown range '' for the charts/],
      ['/console/stats?range=7d&range=30d', /query parameter "range" given more than once/],
      ['/console/agents?x=1', /unknown query parameter "x": this page takes none/],
      ['/console/?x=1', /unknown query parameter "x"/],
    ];
    for (const [path, message] of refused) {
      const res = await page(path);
      assert.equal(res.status, 400, `${path}: ${res.body.slice(0, 300)}`);
      assert.match(res.type, /^text\/html/, path);
      assert.match(res.body, message, path);
      assert.match(codeOf(res.body) ?? '', /^(BAD_REQUEST|USAGE)$/, path);
    }
    // What the console's own forms and links send still works; a role with no runs is an empty list.
    for (const path of [
      '/console/runs?role=&status=',
      '/console/runs?role=nobody',
      '/console/stats?range=24h',
    ]) {
      const res = await page(path);
      assert.equal(res.status, 200, `${path}: ${res.body.slice(0, 300)}`);
    }
    assert.match((await page('/console/runs?role=nobody')).body, /id="empty">No runs match these filters/);
    // Without a session a page still goes to /login first, whatever its query.
    const anonymous = await fetch(`${served.url}/console/runs?x=1&x=2`, { redirect: 'manual' });
    assert.equal(anonymous.status, 303);
  });

  it('answers a browser form refused at login, login link or logout with a page; a script with JSON', async () => {
    // before: 413 BODY_TOO_LARGE and 403 CSRF_INVALID were JSON, whatever posted them.
    const big = new URLSearchParams({ token: 'x', pad: 'a'.repeat(70 * 1024) });
    for (const path of ['/login', '/login/link']) {
      const res = await fetch(`${served.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...BROWSER },
        body: big,
      });
      const body = await res.text();
      assert.equal(res.status, 413, `${path}: ${body.slice(0, 300)}`);
      assert.match(res.headers.get('content-type') ?? '', /^text\/html/, path);
      assert.equal(codeOf(body), 'BODY_TOO_LARGE', path);
      assert.match(body, /<form method="post" action="\/login">/, 'the login form again');
    }
    // A session, then a logout form without its CSRF token.
    const login = await fetch(`${served.url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }),
    });
    assert.equal(login.status, 303);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const logout = await fetch(`${served.url}/logout`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...BROWSER },
      body: new URLSearchParams({ other: 'x' }),
    });
    const said = await logout.text();
    assert.equal(logout.status, 403, said.slice(0, 300));
    assert.match(logout.headers.get('content-type') ?? '', /^text\/html/);
    assert.equal(codeOf(said), 'CSRF_INVALID');
    assert.match(said, /href="\/login"/);
    // A script's logout (no body, no HTML asked for) is answered as every door answers a script.
    const script = await fetch(`${served.url}/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': 'wrong' },
    });
    assert.equal(script.status, 403);
    assert.equal(((await script.json()) as { error: { code: string } }).error.code, 'CSRF_INVALID');
    // Still logged in: nothing was ended by the refused logouts.
    assert.equal(
      (await fetch(`${served.url}/console/`, { headers: { cookie }, redirect: 'manual' })).status,
      200,
    );
  });

  it("shows each continuous agent's lease: who holds it, until when", async () => {
    // before: no lease column, only "(no live lease)" after the state when it had lapsed.
    const shown = await waitFor(async () => {
      const res = await page('/console/agents');
      return /<td>watcher<\/td>/.test(res.body) && /held by /.test(res.body) ? res.body : undefined;
    }, 'the watcher agent held');
    assert.match(shown, /<th scope="col">Lease<\/th>/);
    assert.match(shown, /<td>held by [^<]+ until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d<\/td>/);
  });
});
