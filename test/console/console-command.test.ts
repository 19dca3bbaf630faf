// `nightshift console`: the same daemon on loopback over the project's data dir, announcing a one-time
// login link that opens a browser session on the console's inbox, for the person named and nobody else.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runCli, startCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

describe('nightshift console', () => {
  const r = role({ name: 'billing', autonomy: 'draft', turns: [{ final: { summary: 'done' } }] });
  writeFileSync(
    join(r.dir, 'nightshift.config.yaml'),
    stringify({ people: [{ name: 'alice', decides: ['billing'] }] }),
  );
  const started = startCli(['console', r.file, '--as', 'alice', '--data-dir', r.dataDir], { cwd: r.dir });
  after(() => {
    started.child.kill('SIGKILL');
  });

  it('prints a loopback login link that opens a session on the inbox, once', async () => {
    let stderr = '';
    const link = await new Promise<string>((resolve, reject) => {
      started.child.stderr!.on('data', (d) => {
        stderr += d;
        const m = /open (http:\/\/127\.0\.0\.1:\d+\/login\/link\/\S+)/.exec(stderr);
        if (m) resolve(m[1]!);
      });
      started.done.then((res) => reject(new Error(`console exited: ${res.code} ${res.stderr}`)));
    });
    const base = new URL(link).origin;
    const secret = link.split('/').pop()!;
    const spend = () =>
      fetch(`${base}/login/link`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: base },
        body: new URLSearchParams({ link: secret }),
        redirect: 'manual',
      });
    const first = await spend();
    assert.equal(first.status, 303);
    assert.equal(first.headers.get('location'), '/console/');
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const inbox = await fetch(`${base}/console/`, { headers: { cookie } });
    assert.equal(inbox.status, 200);
    assert.match(await inbox.text(), /<span id="who">alice<\/span>/);
    assert.equal((await spend()).status, 401, 'the link works once');

    // Error pages carry a stable code in #error's data-code (docs/console.md), not a catch-all.
    const codeOf = async (res: Response) => /id="error"[^>]*data-code="([^"]*)"/.exec(await res.text())?.[1];
    const missing = await fetch(`${base}/console/nowhere`, { headers: { cookie } });
    assert.equal(missing.status, 404);
    assert.equal(await codeOf(missing), 'NOT_FOUND');
    const noFile = await fetch(`${base}/console/assets/nothing.js`, { headers: { cookie } });
    assert.equal(noFile.status, 404);
    assert.equal(await codeOf(noFile), 'NOT_FOUND');
    // The session's CSRF token, from the logout form of /login.
    const csrf = /name="csrf" value="([^"]+)"/.exec(
      await (await fetch(`${base}/login`, { headers: { cookie } })).text(),
    )?.[1];
    assert.ok(csrf, 'the login page carries the CSRF token');
    const noAction = await fetch(`${base}/console/decide/bogus/apr_x`, {
      method: 'POST',
      headers: {
        cookie,
        'x-csrf-token': csrf,
        'content-type': 'application/x-www-form-urlencoded',
        origin: base,
      },
      body: new URLSearchParams({ note: 'x' }),
    });
    assert.equal(noAction.status, 404);
    assert.equal(await codeOf(noAction), 'NOT_FOUND');
    // As a browser posts it: the CSRF token in the form, as every console form carries it. Still the
    // address that takes nothing (404), not a form "sent without its CSRF token" (403).
    const noActionForm = await fetch(`${base}/console/decide/bogus/apr_x`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', origin: base },
      body: new URLSearchParams({ csrf, note: 'x' }),
    });
    assert.equal(noActionForm.status, 404);
    assert.equal(await codeOf(noActionForm), 'NOT_FOUND');
    const notForm = await fetch(`${base}/console/decide/approve/apr_x`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'text/plain', origin: base },
      body: 'note=x',
    });
    assert.equal(notForm.status, 415);
    assert.equal(await codeOf(notForm), 'UNSUPPORTED_MEDIA_TYPE');
    const crossSite = await fetch(`${base}/console/decide/approve/apr_x`, {
      method: 'POST',
      headers: {
        cookie,
        'content-type': 'application/x-www-form-urlencoded',
        'sec-fetch-site': 'cross-site',
      },
      body: 'note=x',
    });
    assert.equal(crossSite.status, 403);
    assert.equal(await codeOf(crossSite), 'FORBIDDEN');
  });

  it('refuses a person not in people: with exit 2, before anything listens', async () => {
    const res = await runCli(['console', r.file, '--as', 'mallory', '--data-dir', r.dataDir], { cwd: r.dir });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /mallory is not a configured person/);
    // console has no --service flag: the refusal does not name one.
    assert.doesNotMatch(res.stderr, /--service/);
    assert.doesNotMatch(res.stderr, /serving/);
  });
});
