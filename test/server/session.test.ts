// Browser sessions on a real `nightshift serve`: logging in with a token sets an HttpOnly, SameSite=Strict
// cookie (Secure over https), pages carry a strict Content-Security-Policy, every state-changing request
// made with the cookie needs the session's CSRF token, a one-time login link works once, and revoking the
// token ends its sessions.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('serve: browser sessions', () => {
  const r = role({
    name: 'desk',
    autonomy: 'full',
    turns: [{ final: { summary: 'done' } }],
    extra: { triggers: [{ event: 'desk.go' }] },
  });
  let served: Served;
  const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
  const runCount = async () => json<unknown[]>(await cli(['runs', '--limit', '5000'])).length;

  async function createToken(scopes: string): Promise<{ id: string; token: string }> {
    const res = await cli(['token', 'create', '--as', 'alice', '--scope', scopes]);
    assert.equal(res.code, 0, res.stderr);
    return json(res);
  }

  /** Logs in with a token through the form; returns the cookie (name=value). */
  async function login(token: string, headers: Record<string, string> = {}): Promise<string> {
    const res = await fetch(`${served.url}/login`, {
      method: 'POST',
      headers: { ...FORM, ...headers },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
    assert.equal(res.status, 303, await res.clone().text());
    const setCookie = res.headers.get('set-cookie') ?? '';
    return setCookie.split(';')[0]!;
  }

  async function page(cookie: string): Promise<{ html: string; csrf: string | undefined }> {
    const res = await fetch(`${served.url}/login`, { headers: { cookie } });
    const html = await res.text();
    return { html, csrf: /name="csrf" value="([^"]+)"/.exec(html)?.[1] };
  }

  before(async () => {
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['desk'] }] }),
    );
    served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20'], {
      cwd: r.dir,
    });
  });
  after(() => {
    served?.child.kill('SIGKILL');
  });

  it('sets an HttpOnly, SameSite=Strict cookie (Secure and __Host- over https) holding no token', async () => {
    const { token } = await createToken('runs:read');
    const res = await fetch(`${served.url}/login`, {
      method: 'POST',
      headers: FORM,
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
    const cookie = res.headers.get('set-cookie') ?? '';
    assert.match(
      cookie,
      /^nightshift_session=nss_[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/,
    );
    assert.ok(!cookie.includes(token.slice(4)));
    const https = await fetch(`${served.url}/login`, {
      method: 'POST',
      headers: { ...FORM, 'x-forwarded-proto': 'https' },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
    assert.match(
      https.headers.get('set-cookie') ?? '',
      /^__Host-nightshift_session=.*; HttpOnly; SameSite=Strict; .*; Secure$/,
    );
  });

  it('refuses a wrong token and a cross-site login post', async () => {
    const bad = await fetch(`${served.url}/login`, {
      method: 'POST',
      headers: FORM,
      body: 'token=nst_nope',
      redirect: 'manual',
    });
    assert.equal(bad.status, 401);
    assert.equal(bad.headers.get('set-cookie'), null);
    const { token } = await createToken('runs:read');
    const cross = await fetch(`${served.url}/login`, {
      method: 'POST',
      headers: { ...FORM, 'sec-fetch-site': 'cross-site' },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });
    assert.equal(cross.status, 403);
    assert.equal(cross.headers.get('set-cookie'), null);
  });

  it('refuses a login posted from an opaque origin (a sandboxed frame sends Origin: null)', async () => {
    const { token } = await createToken('runs:read');
    for (const origin of ['null', 'not a url', 'http://evil.example']) {
      const res = await fetch(`${served.url}/login`, {
        method: 'POST',
        headers: { ...FORM, origin },
        body: new URLSearchParams({ token }).toString(),
        redirect: 'manual',
      });
      assert.equal(res.status, 403, origin);
      assert.equal(res.headers.get('set-cookie'), null, origin);
    }
  });

  it('over https reads only the __Host- cookie; two cookies of one name open no session', async () => {
    const { token } = await createToken('runs:read');
    const https = { 'x-forwarded-proto': 'https' };
    const secure = await login(token, https);
    assert.match(secure, /^__Host-nightshift_session=/);
    const plain = await login(token);
    assert.match(plain, /^nightshift_session=/);
    const csrfOver = async (cookie: string) => {
      const res = await fetch(`${served.url}/login`, { headers: { cookie, ...https } });
      return /name="csrf" value="([^"]+)"/.exec(await res.text())?.[1];
    };
    assert.ok(await csrfOver(secure), 'the __Host- cookie opens the session over https');
    assert.equal(
      await csrfOver(plain),
      undefined,
      'an unprefixed cookie (settable by a sibling host) is not read',
    );
    assert.equal(
      await csrfOver(`${plain}; ${secure}`),
      await csrfOver(secure),
      'beside the __Host- cookie, a planted unprefixed one is ignored',
    );
    assert.ok((await page(plain)).csrf, 'over plain http the unprefixed cookie still works');
    const other = await login(token);
    assert.equal((await page(`${plain}; ${other}`)).csrf, undefined, 'two session cookies: neither is taken');
  });

  it('reads at most 64 KiB of a form posted by anyone (a login, a console decision): more is a 413', async () => {
    // Forms are read before their sender is known: a 1 MiB body per anonymous request was held in full.
    const { token } = await createToken('runs:read');
    const padded = `token=${encodeURIComponent(token)}&pad=${'x'.repeat(100 * 1024)}`;
    for (const path of ['/login', '/login/link']) {
      const res = await fetch(`${served.url}${path}`, { method: 'POST', headers: FORM, body: padded });
      assert.equal(res.status, 413, `${path}: ${await res.clone().text()}`);
    }
    // A console decision is refused without a session before its body is read at all (401); with one,
    // its form is capped the same.
    const decide = (headers: Record<string, string>) =>
      fetch(`${served.url}/console/decide/approve/apr_x`, { method: 'POST', headers, body: padded });
    assert.equal((await decide(FORM)).status, 401);
    // A form within it still logs in.
    const cookie = await login(token);
    assert.match(cookie, /^nightshift_session=nss_/);
    assert.equal((await decide({ ...FORM, cookie })).status, 413);
  });

  it('shows pages under a strict Content-Security-Policy', async () => {
    const res = await fetch(`${served.url}/login`);
    const csp = res.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.doesNotMatch(await res.text(), /<script|style=/);
  });

  it('refuses a state-changing request made with the cookie without its CSRF token, changing nothing', async () => {
    const { token } = await createToken('runs:read,events:send');
    const cookie = await login(token);
    const { html, csrf } = await page(cookie);
    assert.match(html, /Logged in as <strong id="who">alice<\/strong>/);
    assert.ok(csrf);
    const before = await runCount();
    const send = (headers: Record<string, string>) =>
      fetch(`${served.url}/events/desk.go`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, ...headers },
        body: '{}',
      });
    const attempts: Record<string, string>[] = [
      {},
      { 'x-csrf-token': 'forged' },
      { 'x-csrf-token': `${csrf!.slice(0, -1)}x` },
    ];
    for (const headers of attempts) {
      const res = await send(headers);
      assert.equal(res.status, 403);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'CSRF_INVALID');
    }
    assert.equal(await runCount(), before, 'a refused request queued a run');
    assert.equal((await send({ 'x-csrf-token': csrf! })).status, 202);
    // A GET needs no CSRF token: the session reads /metrics.
    assert.equal((await fetch(`${served.url}/metrics`, { headers: { cookie } })).status, 200);
  });

  it('logs out only with the CSRF token; the session then ends', async () => {
    const { token } = await createToken('runs:read');
    const cookie = await login(token);
    const { csrf } = await page(cookie);
    const logout = (body: string) =>
      fetch(`${served.url}/logout`, {
        method: 'POST',
        headers: { ...FORM, cookie },
        body,
        redirect: 'manual',
      });
    assert.equal((await logout('')).status, 403);
    assert.equal((await logout('csrf=wrong')).status, 403);
    assert.match((await page(cookie)).html, /Logged in as/, 'a forged logout changed nothing');
    const ok = await logout(new URLSearchParams({ csrf: csrf! }).toString());
    assert.equal(ok.status, 303);
    assert.match(ok.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await fetch(`${served.url}/metrics`, { headers: { cookie } })).status, 401);
  });

  it('logs out a script that sends the CSRF token in x-csrf-token and no body', async () => {
    const { token } = await createToken('runs:read');
    const cookie = await login(token);
    const { csrf } = await page(cookie);
    const logout = (headers: Record<string, string>) =>
      fetch(`${served.url}/logout`, { method: 'POST', headers: { cookie, ...headers }, redirect: 'manual' });
    // Without the token, or a wrong one: refused, the session goes on.
    assert.equal((await logout({})).status, 403);
    assert.equal((await logout({ 'x-csrf-token': 'wrong' })).status, 403);
    assert.match((await page(cookie)).html, /Logged in as/);
    const ok = await logout({ 'x-csrf-token': csrf! });
    assert.equal(ok.status, 303);
    assert.match(ok.headers.get('set-cookie') ?? '', /Max-Age=0/);
    assert.equal((await fetch(`${served.url}/metrics`, { headers: { cookie } })).status, 401);
  });

  it('tells a session cookie it does not know from no credentials at all (401 AUTH_REQUIRED)', async () => {
    const refusal = async (headers: Record<string, string>) => {
      const res = await fetch(`${served.url}/api/v1/runs`, { headers });
      assert.equal(res.status, 401);
      const { error } = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(error.code, 'AUTH_REQUIRED');
      return error.message;
    };
    // before: a cookie whose value is no session secret was answered "no access token was sent".
    assert.match(
      await refusal({ cookie: 'nightshift_session=bogus' }),
      /^the browser session is unknown, has ended or has expired: log in again/,
    );
    assert.match(
      await refusal({ cookie: `nightshift_session=nss_${'A'.repeat(43)}` }),
      /^the browser session is unknown, has ended or has expired: log in again/,
    );
    assert.match(await refusal({ cookie: 'other=1' }), /^no access token was sent/);
  });

  it('ends every session of a revoked token', async () => {
    const t = await createToken('runs:read');
    const cookie = await login(t.token);
    assert.equal((await fetch(`${served.url}/metrics`, { headers: { cookie } })).status, 200);
    assert.equal((await cli(['token', 'revoke', t.id])).code, 0);
    assert.equal((await fetch(`${served.url}/metrics`, { headers: { cookie } })).status, 401);
  });

  it('opens a session from a one-time login link, once', async () => {
    const res = await cli(['token', 'login-link', '--as', 'alice', '--url', served.url]);
    assert.equal(res.code, 0, res.stderr);
    const { url } = json<{ url: string }>(res);
    const secret = url.split('/').pop()!;
    // Opening the link spends nothing (mail scanners and previews open links).
    for (let i = 0; i < 2; i++) {
      const shown = await fetch(url);
      assert.equal(shown.status, 200);
      assert.match(await shown.text(), /<form method="post" action="\/login\/link">/);
    }
    const use = () =>
      fetch(`${served.url}/login/link`, {
        method: 'POST',
        headers: FORM,
        body: new URLSearchParams({ link: secret }).toString(),
        redirect: 'manual',
      });
    const first = await use();
    assert.equal(first.status, 303);
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match((await page(cookie)).html, /Logged in as <strong id="who">alice<\/strong>/);
    const second = await use();
    assert.equal(second.status, 401);
    assert.equal(second.headers.get('set-cookie'), null);
    assert.match(await second.text(), /already used or expired/);
  });
});
