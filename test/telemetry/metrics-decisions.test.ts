// Decisions taken through a real `nightshift serve` (its /api/v1, as a person) are committed by serve, so
// its GET /metrics counts them: nightshift_approvals_decided_total by decision,
// nightshift_escalations_answered_total by category, and the runs its workers then pick up again
// (nightshift_runs_resumed_total) and finish (docs/observability.md, "Prometheus metrics").
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { authFor, json, runCli, type Served, startServe } from '../support/cli.js';
import { parseScrape, type Scrape } from '../support/prometheus.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const drafting = writeTestRole({
  name: 'mdraft-bot',
  autonomy: 'draft',
  tools: ['fs.write'],
  turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'a' } }, { final: { summary: 'written' } }],
  extra: { triggers: [{ event: 'mdraft-bot' }] },
});
const asking = writeTestRole({
  name: 'mask-bot',
  autonomy: 'full',
  tools: [],
  turns: [{ escalate: { category: 'money', reason: 'a refund of 250' } }, { final: { summary: 'answered' } }],
  extra: { triggers: [{ event: 'mask-bot' }] },
});

describe('decisions taken through serve count in its /metrics', () => {
  let served: Served;
  let alice: Record<string, string>;
  let m: Scrape;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${served.url}/api/v1${path}`, {
      method,
      headers: { ...alice, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const answer = await res.json();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${JSON.stringify(answer)}`);
    return answer;
  };
  const scrape = async () => {
    const res = await fetch(`${served.url}/metrics`, { headers: authFor(served.url) });
    assert.equal(res.status, 200);
    return parseScrape(await res.text());
  };

  before(async () => {
    const cwd = drafting.dir;
    writeFileSync(
      join(cwd, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['mdraft-bot', 'mask-bot'] }] }),
    );
    const dd = ['--data-dir', drafting.dataDir];
    served = await startServe([drafting.file, asking.file, '--port', '0', ...dd, '--poll-ms', '20'], { cwd });
    const token = json<{ token: string }>(
      await runCli(
        [
          'token',
          'create',
          '--as',
          'alice',
          '--scope',
          'runs:read,decide',
          '--expires',
          '1d',
          '--json',
          ...dd,
        ],
        { cwd },
      ),
    ).token;
    alice = { authorization: `Bearer ${token}` };
    for (const event of ['mdraft-bot', 'mask-bot']) {
      const res = await fetch(`${served.url}/events/${event}`, {
        method: 'POST',
        headers: { ...authFor(served.url), 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 202, await res.text());
    }
    const inbox = await waitFor(async () => {
      const i = (await api('GET', '/inbox')) as {
        approvals: { id: string }[];
        escalations: { id: string }[];
      };
      return i.approvals.length === 1 && i.escalations.length === 1 ? i : undefined;
    }, 'the draft and the escalation to wait in the inbox');
    await api('POST', `/approvals/${inbox.approvals[0]!.id}/approve`, {});
    await api('POST', `/escalations/${inbox.escalations[0]!.id}/answer`, { answer: 'refund it' });
    m = await waitFor(async () => {
      const s = await scrape();
      const finished = s.series('nightshift_runs_finished_total').reduce((n, x) => n + x.value, 0);
      return finished >= 2 && s.value('nightshift_runs_in_flight') === 0 ? s : undefined;
    }, 'both decided runs to finish');
  });
  after(() => {
    served?.child.kill('SIGKILL');
    drafting.cleanup();
    asking.cleanup();
  });

  it('counts the approval by decision and the answer by category, under their roles', () => {
    assert.deepEqual(m.series('nightshift_approvals_decided_total'), [
      { labels: { role: 'mdraft-bot', decision: 'approved' }, value: 1 },
    ]);
    assert.deepEqual(m.series('nightshift_escalations_answered_total'), [
      { labels: { role: 'mask-bot', category: 'money' }, value: 1 },
    ]);
  });

  it('counts each decided run picked up again by a worker, and its end', () => {
    const byRole = (name: string) =>
      Object.fromEntries(m.series(name).map((x) => [x.labels.role, x.value] as const));
    assert.deepEqual(byRole('nightshift_runs_resumed_total'), { 'mdraft-bot': 1, 'mask-bot': 1 });
    assert.deepEqual(byRole('nightshift_runs_finished_total'), { 'mdraft-bot': 1, 'mask-bot': 1 });
  });
});
