// On a real `nightshift serve` on loopback: no refusal repeats a credential the client sent. A path or an
// id is echoed in a 404 or a 400 (JSON, or a console page), so a token, a session or login-link secret, or
// anything shaped like one (cut short, in another letter case), and the segment after /decide/ or
// /login/link/ (in any letter case, anywhere in the path) are left out of it; the log's paths likewise.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { redactSecrets } from '../../src/auth/secret.js';
import { loggablePath } from '../../src/server/failure-answer.js';
import { type Served, startServe } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

/** A secret of each kind's shape (nothing the store knows). */
const TOKEN = `nst_${'T'.repeat(40)}abc`;
const LINK = `nsl_${'L'.repeat(40)}xyz`;
/** A decision link's token's shape: base64url payload, a dot, a 43-character MAC. */
const DECISION = `eyJrIjoiYXBwcm92YWwi.${'M'.repeat(43)}`;

/** One GET with the path exactly as given (fetch would normalise it). */
function get(url: string, path: string, headers: Record<string, string> = {}) {
  const { hostname, port } = new URL(url);
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ hostname, port, path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Whether any part of a secret's body (past its prefix) is in `text`. */
function leaks(text: string, secret: string): boolean {
  const body = secret.slice(4);
  return text.includes(body.slice(0, 12)) || text.includes(body.slice(-12));
}

describe('serve: refusals never repeat a credential', () => {
  const r = role({ autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
  let served: Served;
  before(async () => {
    served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir], { cwd: r.dir });
  });
  after(() => {
    served?.child.kill('SIGKILL');
  });

  it('leaves credentials out of 404s and unknown ids, JSON and console pages alike', async () => {
    // before: `no route GET /x/nst_…` and `no run "nst_…"` carried the token whole, and
    // /login/link/nsl_…/x and /LOGIN/link/nsl_… the login link's secret.
    const cases: [string, string, number, string][] = [
      [`/x/${TOKEN}`, TOKEN, 404, 'no route GET /x/nst_…'],
      [`/api/v1/runs/${TOKEN}`, TOKEN, 404, 'no run "nst_…"'],
      [`/api/v1/runs/${TOKEN.toUpperCase().slice(0, 30)}`, TOKEN.toUpperCase(), 404, 'no run "NST_…"'],
      [`/api/v1/runs/nst%5F${TOKEN.slice(4)}`, TOKEN, 404, 'no run "nst_…"'],
      [`/login/link/${LINK}/x`, LINK, 404, 'no route GET /login/link/[redacted]/x'],
      [`/LOGIN/link/${LINK}`, LINK, 404, 'no route GET /LOGIN/link/[redacted]'],
      [`/proxy/Login/Link/secret-${LINK.slice(4)}`, LINK, 404, 'no route GET /proxy/Login/Link/[redacted]'],
      [`/DECIDE/${DECISION}`, DECISION, 404, 'no route GET /DECIDE/[redacted]'],
      [`/x/${DECISION}`, DECISION, 404, 'no route GET /x/[redacted]'],
      // A malformed escape in a credential's segment: the 400 names the path, redacted.
      [
        `/login/link/${LINK}%zz`,
        LINK,
        400,
        'malformed %-escape in a segment of the path /login/link/[redacted]',
      ],
    ];
    for (const [path, secret, status, message] of cases) {
      const res = await get(served.url, path, served.auth);
      assert.equal(res.status, status, `${path}: ${res.body}`);
      const said = (JSON.parse(res.body) as { error: { message: string } }).error.message;
      assert.ok(said.startsWith(message), `${path}: ${said}`);
      assert.ok(!leaks(res.body, secret), `${path}: ${res.body}`);
    }
    // A console page quotes the run id it could not find, and the page it does not have.
    for (const path of [`/console/runs/${TOKEN}`, `/console/${TOKEN}`, `/console/runs/${TOKEN}/timeline`]) {
      const res = await get(served.url, path, served.auth);
      assert.equal(res.status, 404, `${path}: ${res.body.slice(0, 300)}`);
      assert.match(res.body, /id="error"[^>]*>[^<]*nst_…/, path);
      assert.ok(!leaks(res.body, TOKEN), path);
    }
    // The login link's own page still carries its secret: that is the page's purpose, not a refusal.
    const page = await get(served.url, `/login/link/${LINK}`);
    assert.equal(page.status, 200);
    assert.ok(page.body.includes(LINK));
  });

  it('the log redacts what a refusal leaves out, by the same rules', () => {
    // before: only /decide/<token> at the start of the path was redacted in a logged path.
    assert.equal(loggablePath(`/LOGIN/link/${LINK}?x=1`), '/LOGIN/link/[redacted]?x=1');
    assert.equal(loggablePath(`/decide/${DECISION}/more`), '/decide/[redacted]/more');
    assert.equal(loggablePath(`/x/${TOKEN.slice(0, 20)}?token=abc`), '/x/nst_…?token=[redacted]');
    assert.equal(redactSecrets(`a whole ${TOKEN} and ${TOKEN.slice(0, 10)}`), 'a whole nst_… and nst_…');
    // A word that merely contains a prefix is not a secret.
    assert.equal(redactSecrets('role transl_bot'), 'role transl_bot');
  });
});
