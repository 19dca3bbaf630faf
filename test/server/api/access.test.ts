// Every API operation refuses a caller it must refuse, before anything is read or changed: no token, an
// unknown or revoked one (401), a token without the operation's scope, a service deciding, a person not
// allowed for the role (403, before the body is read). And bad input gets a clear 4xx with nothing
// changed: malformed JSON, a huge body, a body not declared JSON, unknown ids, bad cursors and parameters.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { issueToken } from '../../../src/auth/index.js';
import type { Operation } from '../../../src/server/api/operation.js';
import { type ApiServer, startApi } from '../../support/api.js';
import { apiRoles, callers, people } from './fixture.js';

const { drafting, escalating } = apiRoles();

/** The path of an operation with every parameter filled in. */
function pathOf(op: Operation, ids: Record<string, string>): string {
  return `/api/v1${op.path.replace(/\{(\w+)\}/g, (_, n: string) => encodeURIComponent(ids[n] ?? 'x'))}`;
}

const errorOf = (body: unknown) => (body as { error: { code: string; message: string } }).error;

describe('the API refuses whom it must, with nothing changed', () => {
  let api: ApiServer;
  let ids: Record<string, string>;
  /** What must not change: every run's status and seq, the pending approvals and escalations. */
  let state: () => Promise<string>;

  before(async () => {
    api = await startApi({
      roleFiles: [drafting.file, escalating.file],
      runtime: { dataDir: drafting.dataDir },
      people,
      callers,
      token: 'tok-alice',
    });
    await api.revoke('tok-revoked');
    const paused = await api.rt.run(drafting.file, {});
    const asked = await api.rt.run(escalating.file, {});
    assert.equal(paused.status, 'awaiting_approval');
    assert.equal(asked.status, 'escalated');
    ids = {
      runId: paused.runId,
      approvalId: paused.pending[0]!,
      escalationId: asked.escalations[0]!.id,
      name: 'ticket',
    };
    state = async () => {
      const runs = await api.rt.list({ limit: 1000 });
      const inbox = await api.rt.inbox();
      return JSON.stringify([
        runs.map((r) => [r.id, r.status, r.seq]),
        inbox.approvals.map((a) => a.id),
        inbox.escalations.map((e) => e.id),
      ]);
    };
  });
  after(() => api.close());

  const bodyFor = (op: Operation) =>
    op.id === 'reject' ? { reason: 'no' } : op.id === 'answer' ? { answer: 'yes' } : {};

  it('answers 401 to every operation without a token, with an unknown or a revoked one', async () => {
    const before = await state();
    for (const op of api.operations) {
      for (const token of [null, 'tok-nobody', 'tok-revoked']) {
        const res = await api.call(op.method, pathOf(op, ids), {
          token,
          ...(op.method === 'POST' ? { body: bodyFor(op) } : {}),
        });
        assert.equal(res.status, 401, `${op.method} ${op.path} with ${token}`);
        assert.equal(errorOf(res.body).code, 'AUTH_REQUIRED');
        assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="nightshift"');
      }
    }
    // Unknown paths too: without a token nothing says which paths exist.
    assert.equal((await api.call('GET', '/api/v1/nowhere', { token: null })).status, 401);
    // A person's token whose person left people: says so, in words a client can read.
    const gone = await issueToken(
      api.rt.store,
      { people: [...people.people, { name: 'zed', decides: [] }] as typeof people.people, groups: {} },
      { name: 'zed', kind: 'person', scopes: ['runs:read'], expiresAt: null },
    );
    const left = await api.call('GET', '/api/v1/agents', { token: gone.secret });
    assert.equal(left.status, 401);
    assert.equal(errorOf(left.body).code, 'AUTH_REQUIRED');
    assert.match(
      errorOf(left.body).message,
      /is of a person no longer in people \(nightshift\.config\.yaml\): send/,
    );
    // And every other method: a DELETE or PUT is not answered 404 before the token is checked.
    for (const method of ['DELETE', 'PUT', 'PATCH', 'OPTIONS']) {
      for (const path of ['/api/v1/runs', `/api/v1/runs/${ids.runId}`, '/api/v1/nowhere']) {
        const res = await api.call(method, path, { token: null });
        assert.equal(res.status, 401, `${method} ${path} without a token`);
        assert.equal(errorOf(res.body).code, 'AUTH_REQUIRED');
        assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="nightshift"');
      }
      // With a token: no such operation, said in the API's words.
      const res = await api.call(method, '/api/v1/runs', { token: 'tok-reader' });
      assert.equal(res.status, 404, `${method} /api/v1/runs with a token`);
      assert.deepEqual(res.body, {
        error: {
          code: 'NOT_FOUND',
          message: `no API operation ${method} /api/v1/runs (see /api/v1/openapi.json)`,
        },
      });
    }
    assert.equal(await state(), before);
  });

  it('answers 403 to a token without the operation’s scope', async () => {
    const before = await state();
    let checked = 0;
    for (const op of api.operations) {
      if (op.scope === null || op.scope === 'runs:read') continue;
      const res = await api.call(op.method, pathOf(op, ids), { token: 'tok-reader', body: bodyFor(op) });
      assert.equal(res.status, 403, `${op.method} ${op.path}`);
      assert.equal(errorOf(res.body).code, 'AUTH_FORBIDDEN');
      assert.match(errorOf(res.body).message, new RegExp(`needs the scope ${op.scope}`));
      checked++;
    }
    assert.ok(checked >= 6, `checked ${checked} operations`);
    assert.equal(await state(), before);
  });

  it('refuses a service token any decision, and a person not allowed for the role', async () => {
    const before = await state();
    const approve = `/api/v1/approvals/${ids.approvalId}/approve`;
    const answer = `/api/v1/escalations/${ids.escalationId}/answer`;
    const bot = await api.call('POST', approve, { token: 'tok-bot', body: {} });
    assert.equal(bot.status, 403);
    assert.equal(errorOf(bot.body).code, 'AUTH_FORBIDDEN');
    // It says a person's token is needed, not to create a service token with decide (that is refused).
    assert.match(errorOf(bot.body).message, /can never hold: decisions are a person's/);
    assert.doesNotMatch(errorOf(bot.body).message, /--service --scope decide/);
    for (const [path, body] of [
      [approve, {}],
      [`/api/v1/approvals/${ids.approvalId}/reject`, { reason: 'no' }],
      [answer, { answer: 'refund it' }],
    ] as const) {
      const res = await api.call('POST', path, { token: 'tok-mallory', body });
      assert.equal(res.status, 403, path);
      assert.equal(errorOf(res.body).code, 'PERSON_NOT_ALLOWED');
    }
    assert.equal(await state(), before);
  });

  it('refuses a person not allowed for the role before reading the body: whatever it holds, 403', async () => {
    const before = await state();
    const bodies: [string, string, Record<string, string>][] = [
      ['malformed JSON', '{"note": ', {}],
      ['a body not declared JSON', 'note=x', { 'content-type': 'application/x-www-form-urlencoded' }],
      ['a body over 1 MiB', `"${'x'.repeat(2 * 1024 * 1024)}"`, {}],
    ];
    for (const path of [
      `/api/v1/approvals/${ids.approvalId}/approve`,
      `/api/v1/approvals/${ids.approvalId}/reject`,
      `/api/v1/escalations/${ids.escalationId}/answer`,
    ])
      for (const [what, raw, headers] of bodies) {
        const res = await api.call('POST', path, { token: 'tok-mallory', raw, headers });
        assert.equal(res.status, 403, `${path}, ${what}: ${JSON.stringify(res.body)}`);
        assert.equal(errorOf(res.body).code, 'PERSON_NOT_ALLOWED');
      }
    assert.equal(await state(), before);
  });

  it('refuses malformed JSON, a body not declared JSON and a huge body', async () => {
    const before = await state();
    const approve = `/api/v1/approvals/${ids.approvalId}/approve`;
    const bad = await api.call('POST', approve, { raw: '{"note": ' });
    assert.equal(bad.status, 400);
    assert.match(errorOf(bad.body).message, /not JSON/);
    const form = await api.call('POST', approve, {
      raw: 'note=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    assert.equal(errorOf(form.body).code, 'UNSUPPORTED_MEDIA_TYPE');
    // Nothing inflates a compressed body: refused as such, not read as raw bytes (a gzip one was a 400
    // "not JSON") nor taken as plain JSON when only labelled gzip (that one started a run).
    for (const raw of [gzipSync('{"text":"hi"}'), Buffer.from('{"text":"hi"}')]) {
      const gz = await api.call('POST', '/api/v1/events/ticket', {
        raw,
        headers: { 'content-encoding': 'gzip' },
      });
      assert.equal(gz.status, 415, JSON.stringify(gz.body));
      assert.match(errorOf(gz.body).message, /content-encoding gzip is not accepted/);
    }
    const huge = await api.call('POST', '/api/v1/events/ticket', { raw: `"${'x'.repeat(2 * 1024 * 1024)}"` });
    assert.equal(huge.status, 413);
    assert.equal(errorOf(huge.body).code, 'BODY_TOO_LARGE');
    const extra = await api.call('POST', approve, { body: { note: 'ok', by: 'mallory' } });
    assert.equal(extra.status, 400);
    assert.match(errorOf(extra.body).message, /body: .*by/);
    const empty = await api.call('POST', `/api/v1/escalations/${ids.escalationId}/answer`, { body: {} });
    assert.equal(empty.status, 400);
    assert.match(errorOf(empty.body).message, /answer/);
    assert.equal(await state(), before);
  });

  it('answers 404 for unknown ids and routes, 409 for a change set that is not the one seen', async () => {
    const before = await state();
    const cases: [string, string, unknown?][] = [
      ['GET', '/api/v1/runs/run_nope'],
      ['GET', '/api/v1/runs/run_nope/steps'],
      ['GET', '/api/v1/runs/run_nope/children'],
      ['GET', '/api/v1/runs/run_nope/events'],
      ['POST', '/api/v1/runs/run_nope/cancel', {}],
      ['POST', '/api/v1/runs/run_nope/resume', {}],
      ['POST', '/api/v1/approvals/apr_nope/approve', {}],
      ['POST', '/api/v1/approvals/apr_nope/reject', { reason: 'no' }],
      ['POST', '/api/v1/escalations/esc_nope/answer', { answer: 'yes' }],
      ['GET', '/api/v1/no/such/thing'],
    ];
    for (const [method, path, body] of cases) {
      const res = await api.call(method as 'GET', path, body === undefined ? {} : { body });
      assert.equal(res.status, 404, `${method} ${path}: ${JSON.stringify(res.body)}`);
      assert.match(errorOf(res.body).code, /NOT_FOUND$/);
    }
    const stale = await api.call('POST', `/api/v1/approvals/${ids.approvalId}/approve`, {
      body: { changeSetHash: 'not-what-was-drafted' },
    });
    assert.equal(stale.status, 409);
    assert.equal(errorOf(stale.body).code, 'APPROVAL_MISMATCH');
    assert.equal(await state(), before);
  });

  it('refuses bad cursors and parameters with 400, saying which', async () => {
    const cases: [string, RegExp][] = [
      ['/api/v1/runs?cursor=garbage!', /CURSOR_INVALID/],
      [
        `/api/v1/runs?cursor=${Buffer.from('{"k":"audit","v":{"id":1}}').toString('base64url')}`,
        /CURSOR_INVALID/,
      ],
      [
        `/api/v1/runs?cursor=${Buffer.from('{"k":"runs","v":{"at":"x"}}').toString('base64url')}`,
        /CURSOR_INVALID/,
      ],
      ['/api/v1/inbox?cursor=e30', /CURSOR_INVALID/],
      ['/api/v1/audit?cursor=bm9wZQ', /CURSOR_INVALID/],
      ['/api/v1/runs?limit=0', /BAD_REQUEST.*limit/],
      ['/api/v1/runs?limit=abc', /BAD_REQUEST.*limit/],
      // A whole number is written in digits, as every integer flag of the CLI: nothing given is not 0,
      // and a space, an exponent or hex is not read as a number (docs/api.md).
      [
        '/api/v1/runs?limit=',
        /BAD_REQUEST.*limit: must be a whole number from 1 to 500 \(digits only\), got ''/,
      ],
      ['/api/v1/runs?limit=%205', /BAD_REQUEST.*limit: must be a whole number.*got ' 5'/],
      ['/api/v1/inbox?limit=1e2', /BAD_REQUEST.*limit: must be a whole number.*got '1e2'/],
      ['/api/v1/audit?limit=0x10', /BAD_REQUEST.*limit: must be a whole number.*got '0x10'/],
      [
        `/api/v1/runs/${'x'}/steps?after=1e1`,
        /BAD_REQUEST.*after: must be a whole number ≥ 0 \(digits only\), got '1e1'/,
      ],
      // docs/api.md: a page holds at most 500 runs, children or inbox items, 1000 audit entries or steps.
      ['/api/v1/runs?limit=501', /BAD_REQUEST.*limit/],
      ['/api/v1/inbox?limit=501', /BAD_REQUEST.*limit/],
      ['/api/v1/audit?limit=1001', /BAD_REQUEST.*limit/],
      [`/api/v1/runs/${'x'}/children?limit=501`, /BAD_REQUEST.*limit/],
      [`/api/v1/runs/${'x'}/steps?limit=1001`, /BAD_REQUEST.*limit/],
      ['/api/v1/runs?status=sleeping', /BAD_REQUEST.*status/],
      ['/api/v1/runs?since=yesterday', /BAD_REQUEST.*since/],
      ['/api/v1/runs?colour=red', /BAD_REQUEST.*colour/],
      // An operation that takes no query parameters refuses an unknown one too, not ignores it.
      ['/api/v1/agents?colour=red', /BAD_REQUEST.*colour/],
      [`/api/v1/runs/${'x'}?colour=red`, /BAD_REQUEST.*colour/],
      ['/api/v1/runs?role=a&role=b', /BAD_REQUEST.*query parameter "role" given more than once/],
      // What the request sent is quoted with what would break the message's line or reorder it escaped.
      [
        '/api/v1/runs?a%0Ab%E2%80%AE=1&a%0Ab%E2%80%AE=2',
        /^BAD_REQUEST query parameter "a\\nb\\u202e" given more than once$/,
      ],
      ['/api/v1/runs?x%E2%80%AE%0D%0Ay=1', /^BAD_REQUEST .*Unrecognized key: "x\\u202e\\u000d\\u000ay"$/],
      ['/api/v1/runs?limit=%E2%80%AE%1B', /^BAD_REQUEST .*limit: .*got '\\u202e\\u001b'$/],
      // Names an object has from its prototype are unknown parameters, each given once.
      ['/api/v1/runs?constructor=x', /BAD_REQUEST.*Unrecognized key: "constructor"/],
      ['/api/v1/runs?__proto__=x', /BAD_REQUEST.*Unrecognized key: "__proto__"/],
      ['/api/v1/agents?toString=1', /BAD_REQUEST.*Unrecognized key: "toString"/],
      ['/api/v1/stats?since=soon', /BAD_REQUEST.*since/],
      [`/api/v1/runs/${'r'.repeat(300)}`, /BAD_REQUEST.*runId/],
    ];
    for (const [path, expected] of cases) {
      const res = await api.call('GET', path);
      assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
      const e = errorOf(res.body);
      assert.match(`${e.code} ${e.message}`, expected, path);
    }
    const lastEvent = await api.call('GET', `/api/v1/runs/${ids.runId}/events`, {
      headers: { 'last-event-id': 'abc' },
    });
    assert.equal(lastEvent.status, 400);
  });
});
