// The API's operations against a real daemon on loopback and a real SQLite store: runs listed with
// filters and keyset pages that stay stable while runs are inserted, run detail and steps, the inbox,
// approve / reject / answer through the runtime (the run then finished by serve's worker), a run's steps
// streamed live over server-sent events (resumed with Last-Event-ID, ended with the run, nothing left open
// when the client goes), cancel, events, agents, stats and the audit log; and the OpenAPI document: every
// operation is in it, and every answer given during these tests validates against its schema.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { RunRecord } from '../../../src/store/types.js';
import { newRun, step } from '../../contract/store.js';
import { type ApiServer, startApi } from '../../support/api.js';
import { readEvents } from '../../support/sse.js';
import { waitFor } from '../../support/wait.js';
import { apiRoles, callers, people } from './fixture.js';

const { drafting, escalating } = apiRoles();

type Page = { runs: { id: string; role: string; status: string; createdAt: number }[]; next: string | null };

describe('the API operations', () => {
  let api: ApiServer;
  let auth: Record<string, string>;

  before(async () => {
    api = await startApi({
      roleFiles: [drafting.file, escalating.file],
      runtime: { dataDir: drafting.dataDir },
      people,
      callers,
      token: 'tok-alice',
    });
    auth = { authorization: `Bearer ${api.secrets['tok-alice']}` };
  });
  after(() => api.close());

  it('lists runs in keyset pages that stay stable while runs are inserted', async () => {
    // Queued for a role no worker here serves, so they stay as they are.
    const idle = { ...api.roles[1]!, name: 'idle-desk', triggers: [] };
    const made: string[] = [];
    for (let i = 0; i < 12; i++) made.push((await api.rt.enqueue(idle, {})).runId);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const q: string = `/api/v1/runs?role=idle-desk&limit=5${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.call('GET', q);
      assert.equal(res.status, 200);
      const page = res.body as Page;
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.next;
      pages++;
      // New runs arrive between pages: they are newer, so no later page shifts.
      await api.rt.enqueue(idle, {});
    } while (cursor);
    assert.equal(pages, 3);
    // Every run made before paging once, in the listing's order (newest first, ids breaking ties).
    const order = (await api.rt.list({ role: 'idle-desk', limit: 500 })).map((r) => r.id);
    assert.deepEqual(
      seen,
      order.filter((id) => made.includes(id)),
    );
    assert.deepEqual([...seen].sort(), [...made].sort());
    // Filters: status (several), since/until, and nothing for a window in the past.
    const queued = (await api.call('GET', '/api/v1/runs?role=idle-desk&status=queued,running&limit=500'))
      .body as Page;
    assert.equal(queued.runs.length, 15);
    assert.equal(queued.next, null);
    const old = (await api.call('GET', '/api/v1/runs?role=idle-desk&until=2020-01-01')).body as Page;
    assert.equal(old.runs.length, 0);
    const recent = (await api.call('GET', '/api/v1/runs?role=idle-desk&since=1h&limit=500')).body as Page;
    assert.equal(recent.runs.length, 15);
    const none = (await api.call('GET', '/api/v1/runs?status=succeeded&role=idle-desk')).body as Page;
    assert.equal(none.runs.length, 0);
  });

  it("pages a run's children with cursors no other listing takes (docs/api.md: another listing's is refused)", async () => {
    // Finished runs of a role no worker here serves: nothing claims or changes them while this pages.
    const made = async (over: Partial<RunRecord>) => {
      const run = newRun({ role: 'family-desk', status: 'succeeded', createdAt: Date.now(), ...over });
      await api.rt.store.createRun(run, { steps: [step(run.id, 1, 'run_started')], at: run.createdAt });
      return run;
    };
    const parent = await made({});
    const cousin = await made({});
    const children: string[] = [];
    for (let i = 0; i < 5; i++)
      children.push(
        (
          await made({
            parentRunId: parent.id,
            parentCallKey: `${parent.id}:2:${i}`,
            createdAt: parent.createdAt + i,
          })
        ).id,
      );
    await made({ parentRunId: cousin.id, parentCallKey: `${cousin.id}:2:0` });
    const seen: string[] = [];
    const cursors: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/api/v1/runs/${parent.id}/children?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await api.call('GET', q);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const page = res.body as Page;
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.next;
      if (cursor) cursors.push(cursor);
    } while (cursor);
    // Newest first, each child once, in three pages (2, 2, 1).
    assert.deepEqual(seen, [...children].reverse());
    assert.equal(cursors.length, 2);
    const runsNext = ((await api.call('GET', '/api/v1/runs?role=family-desk&limit=1')).body as Page).next;
    assert.ok(runsNext);
    const refused: [string, RegExp][] = [
      [`/api/v1/runs?cursor=${cursors[0]}`, /not valid for runs: made for another listing/],
      [
        `/api/v1/runs/${cousin.id}/children?cursor=${cursors[0]}`,
        /not valid for child runs: made for another run's children/,
      ],
      [
        `/api/v1/runs/${parent.id}/children?cursor=${runsNext}`,
        /not valid for child runs: made for another listing/,
      ],
      // Something added to a cursor handed out (base64url decoding would skip it) or a position no
      // listing hands out (a negative time): refused, not read as some other page.
      [
        `/api/v1/runs?cursor=${runsNext}x`,
        /not valid for runs: (made for another listing or altered|not an encoded cursor)/,
      ],
      [
        `/api/v1/runs?cursor=${Buffer.from(JSON.stringify({ k: 'runs', v: { at: -5, id: 'x' } })).toString('base64url')}`,
        /not valid for runs: made for another listing or altered/,
      ],
    ];
    for (const [path, message] of refused) {
      const res = await api.call('GET', path);
      assert.equal(res.status, 400, path);
      const { error } = res.body as { error: { code: string; message: string } };
      assert.equal(error.code, 'CURSOR_INVALID', path);
      assert.match(error.message, message, path);
    }
  });

  it('approves a drafted change set as the token’s person; serve’s worker finishes the run, streamed live', async () => {
    const paused = await api.rt.run(drafting.file, {});
    assert.equal(paused.status, 'awaiting_approval');
    const inbox = (await api.call('GET', '/api/v1/inbox')).body as {
      approvals: { id: string; changeSetHash: string; calls: { tool: string; args: unknown }[] }[];
    };
    const approval = inbox.approvals.find((a) => a.id === paused.pending[0]);
    assert.ok(approval);
    assert.deepEqual(approval.calls[0]!.args, { path: 'note.txt', content: 'hello' });
    // The stream starts with the steps so far, then follows the run live until it ends.
    const stream = readEvents(`${api.url}/api/v1/runs/${paused.runId}/events`, auth, (evs) =>
      evs.some((e) => e.name === 'end'),
    );
    const res = await api.call('POST', `/api/v1/approvals/${approval.id}/approve`, {
      body: { note: 'fine', changeSetHash: approval.changeSetHash },
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const decided = res.body as { by: string; run: { status: string } };
    assert.equal(decided.by, 'alice');
    assert.equal(decided.run.status, 'queued');
    const events = await stream.done;
    const steps = events.filter((e) => e.name === 'step');
    assert.deepEqual(
      steps.map((e) => e.id),
      steps.map((_, i) => i + 1),
    );
    assert.ok(steps.some((e) => (e.data as { kind: string }).kind === 'approval_decided'));
    assert.deepEqual(events.at(-1)!.data, { status: 'succeeded' });
    assert.ok(events.some((e) => e.comment));
    assert.equal(drafting.read('note.txt'), 'hello');
    // Resumed from a seq: only the later steps, then the end at once (the run is over).
    const last = steps.at(-1)!.id!;
    const resumed = await readEvents(
      `${api.url}/api/v1/runs/${paused.runId}/events`,
      { ...auth, 'last-event-id': String(last - 2) },
      () => false,
    ).done;
    assert.deepEqual(
      resumed.filter((e) => e.name === 'step').map((e) => e.id),
      [last - 1, last],
    );
    assert.equal(resumed.at(-1)!.name, 'end');
    // Deciding again: 409, not pending.
    const again = await api.call('POST', `/api/v1/approvals/${approval.id}/approve`, { body: {} });
    assert.equal(again.status, 409);
    assert.equal((again.body as { error: { code: string } }).error.code, 'APPROVAL_NOT_PENDING');
    // With a change set hash too (a second click from a stale page): it is decided, not "another change set".
    const stale = await api.call('POST', `/api/v1/approvals/${approval.id}/approve`, {
      body: { changeSetHash: 'f'.repeat(64) },
    });
    assert.equal(stale.status, 409);
    assert.deepEqual(
      [
        (stale.body as { error: { code: string; message: string } }).error.code,
        (stale.body as { error: { code: string; message: string } }).error.message,
      ],
      ['APPROVAL_NOT_PENDING', `approval ${approval.id} is already approved by alice`],
    );
    // The detail, its steps paged, its audit entries.
    const detail = (await api.call('GET', `/api/v1/runs/${paused.runId}`)).body as {
      run: { status: string };
      approvals: { decidedBy: string }[];
    };
    assert.equal(detail.run.status, 'succeeded');
    assert.equal(detail.approvals[0]!.decidedBy, 'alice');
    const page1 = (await api.call('GET', `/api/v1/runs/${paused.runId}/steps?limit=2`)).body as {
      steps: { seq: number }[];
      next: number;
    };
    assert.deepEqual(
      page1.steps.map((s) => s.seq),
      [1, 2],
    );
    const page2 = (await api.call('GET', `/api/v1/runs/${paused.runId}/steps?after=${page1.next}&limit=500`))
      .body as { steps: { seq: number }[]; next: number | null };
    assert.equal(page2.steps[0]!.seq, 3);
    assert.equal(page2.next, null);
  });

  it('ends a stream the client leaves, and leaves no timer or listener behind', async () => {
    const paused = await api.rt.run(drafting.file, {});
    const stream = readEvents(`${api.url}/api/v1/runs/${paused.runId}/events`, auth, (evs) =>
      evs.some((e) => e.comment && evs.filter((x) => x.comment).length >= 3),
    );
    await stream.done;
    await waitFor(
      async () => (api.daemon.api.streams.size() === 0 ? true : undefined),
      'the stream to close',
    );
    // Rejected: the run goes on without the write, told why.
    const res = await api.call('POST', `/api/v1/approvals/${paused.pending[0]}/reject`, {
      body: { reason: 'not now' },
    });
    assert.equal(res.status, 200);
    assert.equal((res.body as { decision: string }).decision, 'reject');
  });

  it('answers an escalation, sends an event, cancels a run, and reads agents, stats and audit', async () => {
    const sent = await api.call('POST', '/api/v1/events/ticket', {
      body: { text: 'hi' },
      headers: { 'idempotency-key': 'k-1' },
    });
    assert.equal(sent.status, 202);
    const runId = (sent.body as { runs: { runId: string }[] }).runs[0]!.runId;
    const again = await api.call('POST', '/api/v1/events/ticket', {
      body: { text: 'hi' },
      headers: { 'idempotency-key': 'k-1' },
    });
    assert.equal((again.body as { runs: { created: boolean }[] }).runs[0]!.created, false);
    // The same key with another payload is not a redelivery: refused, and no run is recorded for it.
    const reused = await api.call('POST', '/api/v1/events/ticket', {
      body: { text: 'something else' },
      headers: { 'idempotency-key': 'k-1' },
    });
    assert.equal(reused.status, 409, JSON.stringify(reused.body));
    assert.equal((reused.body as { error: { code: string } }).error.code, 'IDEMPOTENCY_KEY_REUSED');
    // A key over 200 characters, or with a space or a control character, is refused by the header's
    // schema before the runtime is asked: 400, and no run is recorded for it.
    const runsBefore = await api.rt.store.countRuns(['queued', 'running', 'succeeded', 'escalated']);
    for (const key of ['k'.repeat(6000), 'k'.repeat(201), 'a b', '']) {
      const bad = await api.call('POST', '/api/v1/events/ticket', {
        body: { text: 'hi' },
        headers: { 'idempotency-key': key },
      });
      assert.equal(bad.status, 400, JSON.stringify(bad.body));
      const { error } = bad.body as { error: { code: string; message: string } };
      assert.equal(error.code, 'BAD_REQUEST');
      assert.match(error.message, /1 to 200 visible ASCII characters/);
      // Said once, though an empty key fails both the length and the character check.
      assert.equal(error.message.split('visible ASCII').length, 2, error.message);
    }
    assert.deepEqual(
      await api.rt.store.countRuns(['queued', 'running', 'succeeded', 'escalated']),
      runsBefore,
    );
    const esc = await waitFor(async () => {
      const inbox = (await api.call('GET', '/api/v1/inbox')).body as {
        escalations: { id: string; runId: string }[];
      };
      return inbox.escalations.find((e) => e.runId === runId);
    }, 'the event’s run to escalate');
    // The model's own escalation holds no call: allowCall is refused in the API's words, nothing decided.
    const allowNothing = await api.call('POST', `/api/v1/escalations/${esc.id}/answer`, {
      body: { answer: 'refund it', allowCall: true },
    });
    assert.equal(allowNothing.status, 400);
    const refusal = (allowNothing.body as { error: { code: string; message: string } }).error;
    assert.equal(refusal.code, 'USAGE');
    assert.match(refusal.message, /holds no tool call to allow; .*API: allowCall/);
    const answered = await api.call('POST', `/api/v1/escalations/${esc.id}/answer`, {
      body: { answer: 'refund it' },
    });
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    await waitFor(async () => {
      const d = (await api.call('GET', `/api/v1/runs/${runId}`)).body as { run: { status: string } };
      return d.run.status === 'succeeded' ? true : undefined;
    }, 'the answered run to finish');
    // Cancel a paused run; a second cancel of the ended run is refused.
    const paused = await api.rt.run(drafting.file, {});
    const cancelled = await api.call('POST', `/api/v1/runs/${paused.runId}/cancel`, {
      body: { reason: 'stop' },
    });
    assert.equal(cancelled.status, 200);
    assert.equal((cancelled.body as { status: string }).status, 'cancelled');
    const agents = (await api.call('GET', '/api/v1/agents')).body as { queue: { queued: number } };
    assert.ok(agents.queue.queued >= 13);
    const stats = (await api.call('GET', '/api/v1/stats?role=desk-draft&since=1d')).body as {
      groups: { role: string; roleVersion: string; runs: { total: number } }[];
    };
    assert.equal(stats.groups[0]!.role, 'desk-draft');
    assert.ok(stats.groups[0]!.runs.total >= 3);
    // A version by a unique prefix, as `stats --version` takes it; one no stored version has is a 404.
    const version = stats.groups[0]!.roleVersion;
    const byPrefix = await api.call('GET', `/api/v1/stats?role=desk-draft&version=${version.slice(0, 8)}`);
    assert.equal(byPrefix.status, 200, JSON.stringify(byPrefix.body));
    assert.equal((byPrefix.body as { filter: { version: string } }).filter.version, version);
    const unknown = await api.call('GET', '/api/v1/stats?version=zz-none');
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
    assert.equal((unknown.body as { error: { code: string } }).error.code, 'VERSION_NOT_FOUND');
    // Named as the query parameter it is, not as the CLI's flag.
    assert.match((unknown.body as { error: { message: string } }).error.message, /^query: version zz-none: /);
    // And where the versions are, over the API: an API client cannot run `nightshift versions`.
    assert.match((unknown.body as { error: { message: string } }).error.message, /\(GET \/api\/v1\/stats /);
    assert.doesNotMatch((unknown.body as { error: { message: string } }).error.message, /nightshift /);
    // The audit log in pages of 2: every entry once, in id order.
    const ids: number[] = [];
    let cursor: string | null = null;
    do {
      const page = (await api.call('GET', `/api/v1/audit?limit=2${cursor ? `&cursor=${cursor}` : ''}`))
        .body as {
        entries: { id: number; actor: string; action: string }[];
        next: string | null;
      };
      ids.push(...page.entries.map((e) => e.id));
      cursor = page.next;
    } while (cursor);
    assert.ok(ids.length >= 4);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(new Set(ids).size, ids.length);
  });

  it("an unknown id: 404 with the CLI's hint in the API's words (another kind: the route that takes it)", async () => {
    const cases: [string, string, string, RegExp][] = [
      [
        'POST',
        '/api/v1/escalations/apr_1/answer',
        'ESCALATION_NOT_FOUND',
        /^no escalation "apr_1": "apr_1" is an approval's id, not an escalation's; use POST \/api\/v1\/approvals\/apr_1\/approve/,
      ],
      [
        'POST',
        '/api/v1/approvals/esc_1/approve',
        'APPROVAL_NOT_FOUND',
        /^no approval "esc_1": "esc_1" is an escalation's id.*POST \/api\/v1\/escalations\/esc_1\/answer$/,
      ],
      [
        'POST',
        '/api/v1/approvals/run_1/reject',
        'APPROVAL_NOT_FOUND',
        /"run_1" is a run's id.*GET \/api\/v1\/runs\/run_1/,
      ],
      [
        'POST',
        '/api/v1/approvals/prm_1/approve',
        'APPROVAL_NOT_FOUND',
        /a promotion's id.*nightshift approve prm_1/,
      ],
      [
        'POST',
        '/api/v1/escalations/esc_nope/answer',
        'ESCALATION_NOT_FOUND',
        /^no escalation "esc_nope" \(see GET \/api\/v1\/inbox\)$/,
      ],
      [
        'POST',
        '/api/v1/approvals/apr_nope/approve',
        'APPROVAL_NOT_FOUND',
        /^no approval "apr_nope" \(see GET \/api\/v1\/inbox\)$/,
      ],
      ['GET', '/api/v1/runs/run_nope', 'RUN_NOT_FOUND', /^no run "run_nope" \(see GET \/api\/v1\/runs\)$/],
      ['GET', '/api/v1/runs/esc_1/steps', 'RUN_NOT_FOUND', /"esc_1" is an escalation's id, not a run's/],
      ['POST', '/api/v1/runs/apr_1/cancel', 'RUN_NOT_FOUND', /"apr_1" is an approval's id, not a run's/],
    ];
    for (const [method, path, code, message] of cases) {
      const body = path.endsWith('/answer')
        ? { answer: 'yes' }
        : path.endsWith('/reject')
          ? { reason: 'no' }
          : {};
      const res = await api.call(method, path, method === 'POST' ? { body } : {});
      assert.equal(res.status, 404, `${path}: ${JSON.stringify(res.body)}`);
      const { error } = res.body as { error: { code: string; message: string } };
      assert.equal(error.code, code, path);
      assert.match(error.message, message, path);
    }
  });

  it('quotes an id from the path in its message: control and bidi characters escaped, a long one cut', async () => {
    type Failure = { error: { code: string; message: string } };
    // A U+202E would show the rest of the line reversed where a client prints the message; a newline
    // would start a line of its own (a forged log line, a forged second message).
    const hostile = await api.call('GET', '/api/v1/runs/run_%E2%80%AEexe.txt%0Aforged');
    assert.equal(hostile.status, 404, JSON.stringify(hostile.body));
    const notFound = (hostile.body as Failure).error;
    assert.equal(notFound.code, 'RUN_NOT_FOUND');
    assert.equal(notFound.message, 'no run "run_\\u202eexe.txt\\nforged" (see GET /api/v1/runs)');
    // An id of another kind is quoted where it is named, and %-encoded in the route that takes it.
    const other = await api.call('GET', '/api/v1/runs/apr_%E2%80%AE%0A/steps');
    assert.equal(other.status, 404, JSON.stringify(other.body));
    assert.equal(
      (other.body as Failure).error.message,
      'no run "apr_\\u202e\\n": "apr_\\u202e\\n" is an approval\'s id, not a run\'s; use POST /api/v1/approvals/apr_%E2%80%AE%0A/approve or …/reject',
    );
    for (const body of [hostile.body, other.body]) {
      const { message } = (body as Failure).error;
      // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is looked for
      assert.doesNotMatch(message, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u, message);
    }
    // 5,000 characters: past the 200 an id may have, refused before any lookup and not echoed.
    const huge = await api.call('GET', `/api/v1/runs/run_${'x'.repeat(4996)}`);
    assert.equal(huge.status, 400, JSON.stringify(huge.body).slice(0, 300));
    const tooLong = (huge.body as Failure).error;
    assert.equal(tooLong.code, 'BAD_REQUEST');
    assert.match(tooLong.message, /runId/);
    assert.ok(tooLong.message.length < 300, tooLong.message);
    // A header is quoted the same way: a 5,000-character Last-Event-ID is cut, saying how long it was.
    const resumed = await api.call('GET', '/api/v1/runs/run_nope/events', {
      headers: { 'last-event-id': 'y'.repeat(5000) },
    });
    assert.equal(resumed.status, 400, JSON.stringify(resumed.body).slice(0, 300));
    assert.equal(
      (resumed.body as Failure).error.message,
      `Last-Event-ID "${'y'.repeat(200)}"… (cut: 5,000 characters, the first 200 shown) is not a step seq (a whole number)`,
    );
    // A body that is not JSON: where parsing stopped and the character found, not the body around it
    // (V8's own message quotes it, newlines and all), that character escaped.
    for (const [raw, said] of [
      ['{\n"a\u202E": x}', "body is not JSON: Unexpected token 'x' is not valid JSON"],
      ['[\u202E]', "body is not JSON: Unexpected token '\\u202e' is not valid JSON"],
      ['[\u009B]', "body is not JSON: Unexpected token '\\u009b' is not valid JSON"],
    ]) {
      const broken = await api.call('POST', '/api/v1/runs/run_nope/cancel', { raw });
      assert.equal(broken.status, 400, JSON.stringify(broken.body));
      assert.deepEqual((broken.body as Failure).error, { code: 'BAD_REQUEST', message: said });
    }
  });

  it('a POST whose body fields are all optional sends {}: a bare POST (no body, no content type) is 415', async () => {
    // docs/api.md: `resume` `{}`, `cancel` `{reason?}`. The unknown run (404) shows the body was taken;
    // 415 that it was refused before the run was looked up.
    for (const path of ['/api/v1/runs/run_nope/resume', '/api/v1/runs/run_nope/cancel']) {
      const bare = await api.call('POST', path);
      assert.equal(bare.status, 415, `${path} bare: ${JSON.stringify(bare.body)}`);
      const { error } = bare.body as { error: { code: string; message: string } };
      assert.equal(error.code, 'UNSUPPORTED_MEDIA_TYPE', path);
      assert.match(error.message, /content-type is missing: send the body as JSON/, path);
      const empty = await api.call('POST', path, { body: {} });
      assert.equal(empty.status, 404, `${path} {}: ${JSON.stringify(empty.body)}`);
      // An empty body declared JSON is read as {} too.
      const declared = await api.call('POST', path, { raw: '' });
      assert.equal(declared.status, 404, `${path} empty JSON body: ${JSON.stringify(declared.body)}`);
    }
  });

  it('pages the inbox across both kinds', async () => {
    for (let i = 0; i < 3; i++) await api.rt.run(drafting.file, {});
    for (let i = 0; i < 2; i++) await api.rt.run(escalating.file, {});
    const all = (await api.call('GET', '/api/v1/inbox?limit=500')).body as {
      approvals: { id: string }[];
      escalations: { id: string }[];
    };
    const seen = { approvals: [] as string[], escalations: [] as string[] };
    let cursor: string | null = null;
    do {
      const page = (await api.call('GET', `/api/v1/inbox?limit=1${cursor ? `&cursor=${cursor}` : ''}`))
        .body as {
        approvals: { id: string }[];
        escalations: { id: string }[];
        next: string | null;
      };
      seen.approvals.push(...page.approvals.map((a) => a.id));
      seen.escalations.push(...page.escalations.map((e) => e.id));
      cursor = page.next;
    } while (cursor);
    assert.deepEqual(
      seen.approvals,
      all.approvals.map((a) => a.id),
    );
    assert.deepEqual(
      seen.escalations,
      all.escalations.map((e) => e.id),
    );
    assert.ok(all.approvals.length >= 3 && all.escalations.length >= 2);
  });

  it('resumes a run that already ended as a 200 with the run as it ended, and writes nothing', async () => {
    // docs/api.md: resume "answers where it stopped (a run that already ended: 200 with it as it ended)".
    const paused = await api.rt.run(drafting.file, {});
    const cancel = await api.call('POST', `/api/v1/runs/${paused.runId}/cancel`, { body: {} });
    assert.equal(cancel.status, 200, JSON.stringify(cancel.body));
    const seqBefore = (await api.rt.store.getRun(paused.runId))!.seq;
    const res = await api.call('POST', `/api/v1/runs/${paused.runId}/resume`, { body: {} });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const run = res.body as { runId: string; status: string };
    assert.deepEqual([run.runId, run.status], [paused.runId, 'cancelled']);
    assert.equal((await api.rt.store.getRun(paused.runId))!.seq, seqBefore);
    // Cancelling it again is refused: it already ended.
    const again = await api.call('POST', `/api/v1/runs/${paused.runId}/cancel`, { body: {} });
    assert.equal(again.status, 409, JSON.stringify(again.body));
    assert.equal((again.body as { error: { code: string } }).error.code, 'RUN_NOT_RESUMABLE');
  });

  it('filters the audit log by role and time, as `nightshift audit` does', async () => {
    type AuditPage = { entries: { id: number; runId: string | null; target: string; at: string }[] };
    const all = (await api.call('GET', '/api/v1/audit?limit=1000')).body as AuditPage;
    const roleOf = new Map((await api.rt.list({ limit: 1000 })).map((r) => [r.id, r.role]));
    const mine = (await api.call('GET', '/api/v1/audit?role=desk-ask&limit=1000')).body as AuditPage;
    assert.ok(mine.entries.length > 0);
    // Entries of that role's runs, and run-less ones about the role; none of another role's runs.
    for (const e of mine.entries)
      assert.ok(e.runId ? roleOf.get(e.runId) === 'desk-ask' : e.target === 'desk-ask', JSON.stringify(e));
    assert.ok(mine.entries.length < all.entries.length);
    // A full page has a next even when nothing is left: the page after it is empty, and the last.
    const full = (await api.call('GET', `/api/v1/audit?role=desk-ask&limit=${mine.entries.length}`))
      .body as AuditPage & { next: string | null };
    assert.equal(full.entries.length, mine.entries.length);
    assert.ok(full.next);
    const empty = (await api.call('GET', `/api/v1/audit?role=desk-ask&cursor=${full.next}`))
      .body as AuditPage & {
      next: string | null;
    };
    assert.deepEqual([empty.entries, empty.next], [[], null]);
    const future = (await api.call('GET', '/api/v1/audit?since=2999-01-01')).body as AuditPage;
    assert.deepEqual(future.entries, []);
    const recent = (await api.call('GET', '/api/v1/audit?since=1h&limit=1000')).body as AuditPage;
    assert.equal(recent.entries.length, all.entries.length);
  });

  it('refuses a stats version prefix more than one stored version starts with: 400 USAGE in the API’s words', async () => {
    const stats = (await api.call('GET', '/api/v1/stats?role=desk-draft')).body as {
      groups: { roleVersion: string }[];
    };
    const version = stats.groups[0]!.roleVersion;
    const other = `${version.slice(0, 4)}${version.slice(4).replace(/./g, (c) => (c === 'f' ? 'e' : 'f'))}`;
    await api.rt.store.putRoleVersion({
      name: 'desk-draft',
      version: other,
      spec: {},
      createdAt: Date.now(),
    });
    for (const query of [
      `version=${version.slice(0, 4)}`,
      `role=desk-draft&version=${version.slice(0, 4)}`,
    ]) {
      const res = await api.call('GET', `/api/v1/stats?${query}`);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      const { error } = res.body as { error: { code: string; message: string } };
      assert.equal(error.code, 'USAGE');
      assert.ok(
        error.message.includes(`desk-draft@${version}`) && error.message.includes(`desk-draft@${other}`),
      );
      // Named as the query parameters are, not as the CLI's flags.
      assert.match(error.message, /^query: version \w{4} is ambiguous: /);
      assert.doesNotMatch(error.message, /--/);
    }
    const longer = await api.call('GET', `/api/v1/stats?version=${version.slice(0, 5)}`);
    assert.equal(longer.status, 200, JSON.stringify(longer.body));
    assert.equal((longer.body as { filter: { version: string } }).filter.version, version);
  });

  it('documents every operation in OpenAPI 3.1, and every answer given validates against it', async () => {
    const res = await api.call('GET', '/api/v1/openapi.json');
    assert.equal(res.status, 200);
    const doc = res.body as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { operationId: string; responses: Record<string, { content: Record<string, { schema: unknown }> }> }
        >
      >;
    };
    assert.equal(doc.openapi, '3.1.0');
    assert.doesNotMatch(JSON.stringify(doc), /__shared/);
    const documented = new Map<string, { path: string; op: (typeof doc.paths)[string][string] }>();
    for (const [path, methods] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(methods))
        documented.set(`${method.toUpperCase()} ${path}`, { path, op });
    for (const op of api.operations)
      assert.ok(documented.has(`${op.method} /api/v1${op.path}`), `${op.method} ${op.path} is documented`);
    assert.equal(documented.size, api.operations.length);
    // The failures docs/api.md lists are documented on every operation, the store's and the server's too.
    for (const [key, { op }] of documented)
      for (const status of ['400', '401', '403', '404', '409', '413', '415', '500', '503', '507'])
        assert.ok(op.responses[status], `${key} documents ${status}`);
    // The Idempotency-Key header POST /events reads is a documented parameter.
    const send = documented.get('POST /api/v1/events/{name}')!.op as unknown as {
      parameters: { name: string; in: string; required: boolean }[];
    };
    assert.ok(
      send.parameters.some((p) => p.name === 'Idempotency-Key' && p.in === 'header' && !p.required),
      JSON.stringify(send.parameters),
    );
    // A page size is documented as the integer it must be, with its bounds (the query reads digits only).
    const runsLimit = (
      documented.get('GET /api/v1/runs')!.op as unknown as { parameters: { name: string; schema: unknown }[] }
    ).parameters.find((p) => p.name === 'limit');
    assert.deepEqual(runsLimit?.schema, {
      type: 'integer',
      minimum: 1,
      maximum: 500,
      description: 'Page size, 1 to 500 (default 50)',
    });
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: (doc as unknown as { components: unknown }).components });
    let validated = 0;
    for (const r of api.recorded) {
      if (typeof r.body === 'string') continue; // the event streams
      const entry = [...documented.entries()].find(([key]) => {
        const [method, path] = key.split(' ');
        return method === r.method && new RegExp(`^${path!.replace(/\{\w+\}/g, '[^/]+')}$`).test(r.path);
      });
      assert.ok(entry, `${r.method} ${r.path} has an operation`);
      const response = entry[1].op.responses[String(r.status)];
      assert.ok(response, `${r.method} ${r.path} answers ${r.status}, which is documented`);
      const schema = response.content['application/json']!.schema as Record<string, unknown>;
      const validate = ajv.compile({ $ref: `doc${(schema.$ref as string) ?? ''}` });
      if (!schema.$ref) continue;
      assert.ok(validate(r.body), `${r.method} ${r.path} ${r.status}: ${ajv.errorsText(validate.errors)}`);
      validated++;
    }
    assert.ok(validated >= 30, `validated ${validated} answers`);
  });
});
