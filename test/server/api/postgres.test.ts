// The API's reads on the Postgres store: the runs list in keyset pages (with filters), a run's detail,
// steps and children, the inbox, agents, stats and the audit log, all through a real daemon on loopback.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openPostgresStore } from '../../../src/store/postgres/index.js';
import { type ApiServer, startApi } from '../../support/api.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../../support/postgres.js';
import { apiRoles, callers, people } from './fixture.js';

const skip = await postgresUnavailable();
const { drafting, escalating } = apiRoles();

describe('the API reads on Postgres', { skip }, () => {
  const schema = freshSchema();
  let api: ApiServer;
  let pausedRun: string;

  before(async () => {
    api = await startApi({
      roleFiles: [drafting.file, escalating.file],
      runtime: { store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }) },
      people,
      callers,
      token: 'tok-reader',
      serve: () => [],
    });
    const idle = { ...api.roles[1]!, name: 'idle-desk', triggers: [] };
    for (let i = 0; i < 7; i++) await api.rt.enqueue(idle, {});
    pausedRun = (await api.rt.run(drafting.file, {})).runId;
    await api.rt.run(escalating.file, {});
  });
  after(async () => {
    await api.close();
    await dropSchema(schema);
  });

  it('pages the runs list and filters it', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await api.call('GET', `/api/v1/runs?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200);
      const page = res.body as { runs: { id: string }[]; next: string | null };
      seen.push(...page.runs.map((r) => r.id));
      cursor = page.next;
    } while (cursor);
    assert.equal(seen.length, 9);
    assert.equal(new Set(seen).size, 9);
    assert.deepEqual(
      seen,
      (await api.rt.list({ limit: 100 })).map((r) => r.id),
    );
    const queued = (await api.call('GET', '/api/v1/runs?status=queued&role=idle-desk&since=1h')).body as {
      runs: unknown[];
    };
    assert.equal(queued.runs.length, 7);
  });

  it('reads a run, its steps and children, the inbox, agents, stats and the audit log', async () => {
    const detail = await api.call('GET', `/api/v1/runs/${pausedRun}`);
    assert.equal(detail.status, 200);
    assert.equal((detail.body as { run: { status: string } }).run.status, 'awaiting_approval');
    const steps = (await api.call('GET', `/api/v1/runs/${pausedRun}/steps`)).body as {
      steps: { seq: number }[];
    };
    assert.equal(steps.steps[0]!.seq, 1);
    const children = (await api.call('GET', `/api/v1/runs/${pausedRun}/children`)).body as {
      runs: unknown[];
    };
    assert.deepEqual(children.runs, []);
    const inbox = (await api.call('GET', '/api/v1/inbox?limit=1')).body as {
      approvals: { runId: string }[];
      escalations: unknown[];
      next: string;
    };
    assert.equal(inbox.approvals[0]!.runId, pausedRun);
    assert.equal(inbox.escalations.length, 1);
    const rest = (await api.call('GET', `/api/v1/inbox?limit=1&cursor=${inbox.next}`)).body as {
      approvals: unknown[];
      escalations: unknown[];
      next: string | null;
    };
    assert.deepEqual([rest.approvals.length, rest.escalations.length, rest.next], [0, 0, null]);
    assert.equal((await api.call('GET', '/api/v1/agents')).status, 200);
    const stats = (await api.call('GET', '/api/v1/stats?role=idle-desk')).body as {
      groups: { runs: { total: number } }[];
    };
    assert.equal(stats.groups[0]!.runs.total, 7);
    const audit = await api.call('GET', '/api/v1/audit?limit=1000');
    assert.equal(audit.status, 200);
  });
});
