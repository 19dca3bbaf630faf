// GET /metrics on a real `nightshift serve` (a child process on loopback): scripted roles run known
// runs (two successes with known usage, a failure, a denied call, an escalation, a draft) and the
// scrape, parsed as Prometheus text, has exactly the counts, sums and gauges those runs imply.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authFor, type Served, startServe } from '../support/cli.js';
import { parseScrape, type Scrape } from '../support/prometheus.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const LEDGER = 'ledger.append_once';
const made: TestRole[] = [];
function role(name: string, o: Omit<Parameters<typeof writeTestRole>[0], 'name'>): TestRole {
  const r = writeTestRole({ name, ...o, extra: { triggers: [{ event: name }], ...o.extra } });
  made.push(r);
  return r;
}

async function emit(url: string, event: string): Promise<void> {
  const res = await fetch(`${url}/events/${event}`, {
    method: 'POST',
    headers: { ...authFor(url), 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 202, await res.text());
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`, { headers: authFor(url) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return parseScrape(await res.text());
}

describe('GET /metrics on nightshift serve', () => {
  const roles = [
    role('ok-bot', {
      autonomy: 'full',
      tools: [LEDGER],
      turns: [
        { call: LEDGER, args: { entry: 'x' }, usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.01 } },
        { final: { summary: 'done' }, usage: { inputTokens: 50, outputTokens: 10, costUsd: 0.005 } },
      ],
    }),
    // The script ends after the call: the next turn fails the run with SCRIPT_EXHAUSTED.
    role('fail-bot', { autonomy: 'full', tools: [LEDGER], turns: [{ call: LEDGER, args: { entry: 'y' } }] }),
    // shell.exec is no served role's tool: the call is denied and its tool label is "other".
    role('deny-bot', {
      autonomy: 'full',
      tools: [LEDGER],
      turns: [{ call: 'shell.exec', args: { command: 'true' } }, { final: { summary: 'ok' } }],
    }),
    role('esc-bot', {
      autonomy: 'full',
      tools: [LEDGER],
      turns: [{ escalate: { category: 'money', reason: 'a refund over the limit' } }],
    }),
    role('draft-bot', {
      autonomy: 'draft',
      tools: ['fs.write'],
      turns: [{ call: 'fs.write', args: { path: 'b.txt', content: 'b' } }, { final: { summary: 'drafted' } }],
    }),
    // A continuous agent with no events: it only heartbeats.
    role('watch-bot', {
      autonomy: 'full',
      tools: [],
      turns: [{ final: {} }],
      extra: { mode: 'continuous', continuous: { leaseSeconds: 5, heartbeatSeconds: 1 } },
    }),
  ];
  let served: Served;
  let m: Scrape;
  const settled = (s: Scrape) => {
    const finished = s.series('nightshift_runs_finished_total').reduce((n, x) => n + x.value, 0);
    const paused =
      (s.value('nightshift_escalations_total', { role: 'esc-bot', category: 'money', source: 'model' }) ??
        0) + (s.value('nightshift_approvals_requested_total', { role: 'draft-bot' }) ?? 0);
    const agent = s.value('nightshift_agents_held') ?? 0;
    // The counters move when a run finishes or pauses, a moment before its worker lets it go: the scrape
    // waits for the worker too (a run that never left would time this out, not pass).
    const idle = s.value('nightshift_runs_in_flight') === 0;
    return finished >= 4 && paused >= 2 && agent >= 1 && idle ? s : undefined;
  };

  before(async () => {
    served = await startServe([
      ...roles.map((r) => r.dir),
      '--port',
      '0',
      '--data-dir',
      roles[0]!.dataDir,
      '--poll-ms',
      '20',
    ]);
    for (const event of ['ok-bot', 'ok-bot', 'fail-bot', 'deny-bot', 'esc-bot', 'draft-bot'])
      await emit(served.url, event);
    m = await waitFor(async () => settled(await scrape(served.url)), 'the runs to settle', 30_000);
  });
  after(() => {
    served?.child.kill('SIGKILL');
    for (const r of made) r.cleanup();
  });

  it('counts runs started and finished by role, status and error code', () => {
    assert.equal(m.type('nightshift_runs_started_total'), 'counter');
    assert.deepEqual(
      Object.fromEntries(m.series('nightshift_runs_started_total').map((x) => [x.labels.role, x.value])),
      { 'ok-bot': 2, 'fail-bot': 1, 'deny-bot': 1, 'esc-bot': 1, 'draft-bot': 1 },
    );
    assert.deepEqual(
      m.series('nightshift_runs_finished_total').sort((a, b) => a.labels.role!.localeCompare(b.labels.role!)),
      [
        { labels: { role: 'deny-bot', status: 'succeeded', error_code: 'none' }, value: 1 },
        { labels: { role: 'fail-bot', status: 'failed', error_code: 'SCRIPT_EXHAUSTED' }, value: 1 },
        { labels: { role: 'ok-bot', status: 'succeeded', error_code: 'none' }, value: 2 },
      ],
    );
    assert.equal(
      m.histogram('nightshift_run_duration_seconds', { role: 'ok-bot', status: 'succeeded' })?.count,
      2,
    );
    assert.equal(
      m.histogram('nightshift_run_duration_seconds', { role: 'fail-bot', status: 'failed' })?.count,
      1,
    );
    assert.equal(m.series('nightshift_run_duration_seconds').length, 3);
    assert.equal(m.value('nightshift_run_retries_total', { role: 'fail-bot' }), undefined);
  });

  it('has the cost per task and the tokens by direction', () => {
    const cost = m.histogram('nightshift_run_cost_usd', { role: 'ok-bot' })!;
    assert.equal(cost.count, 2);
    assert.ok(Math.abs(cost.sum - 0.03) < 1e-12, String(cost.sum));
    // Each run cost 0.015: in the 0.05 bucket, not the 0.01 one.
    assert.equal(cost.buckets['0.01'], 0);
    assert.equal(cost.buckets['0.05'], 2);
    assert.deepEqual(m.histogram('nightshift_run_cost_usd', { role: 'fail-bot' })?.sum, 0);
    assert.ok(Math.abs(m.value('nightshift_cost_usd_total', { role: 'ok-bot' })! - 0.03) < 1e-12);
    assert.equal(m.value('nightshift_tokens_total', { role: 'ok-bot', direction: 'input' }), 300);
    assert.equal(m.value('nightshift_tokens_total', { role: 'ok-bot', direction: 'output' }), 60);
    assert.equal(m.series('nightshift_tokens_total').length, 2);
  });

  it('times model turns by role and provider, and runs from queued to first claim', () => {
    const turns = (role: string) =>
      m.histogram('nightshift_model_turn_duration_seconds', { role, provider: 'script' })?.count;
    // fail-bot's second turn failed (the script ended): no model_turn step, so not timed. draft-bot's
    // run paused for its change set after the turn that drafted the write.
    assert.deepEqual(['ok-bot', 'fail-bot', 'deny-bot', 'esc-bot', 'draft-bot'].map(turns), [4, 1, 2, 1, 1]);
    const delays = m.series('nightshift_run_start_delay_seconds');
    assert.equal(
      delays.reduce((n, x) => n + x.value, 0),
      6,
    );
    assert.equal(m.histogram('nightshift_run_start_delay_seconds', { role: 'ok-bot' })?.count, 2);
  });

  it('counts tool decisions and outcomes by tool, unknown tools as "other", and times the calls', () => {
    const decisions = m
      .series('nightshift_tool_decisions_total')
      .map((x): Record<string, string | number> => ({ ...x.labels, n: x.value }));
    assert.deepEqual(
      decisions.sort((a, b) => String(a.role).localeCompare(String(b.role))),
      [
        { role: 'deny-bot', tool: 'other', decision: 'deny', n: 1 },
        { role: 'draft-bot', tool: 'fs.write', decision: 'draft', n: 1 },
        { role: 'esc-bot', tool: 'escalate', decision: 'escalate', n: 1 },
        { role: 'fail-bot', tool: LEDGER, decision: 'allow', n: 1 },
        { role: 'ok-bot', tool: LEDGER, decision: 'allow', n: 2 },
      ],
    );
    assert.equal(
      m.value('nightshift_tool_calls_total', { role: 'ok-bot', tool: LEDGER, outcome: 'succeeded' }),
      2,
    );
    assert.equal(
      m.value('nightshift_tool_calls_total', { role: 'fail-bot', tool: LEDGER, outcome: 'succeeded' }),
      1,
    );
    assert.equal(m.series('nightshift_tool_calls_total').length, 2);
    assert.equal(
      m.histogram('nightshift_tool_call_duration_seconds', { role: 'ok-bot', tool: LEDGER })?.count,
      2,
    );
  });

  it('counts escalations by category and source, and drafts put to a human', () => {
    assert.deepEqual(m.series('nightshift_escalations_total'), [
      { labels: { role: 'esc-bot', category: 'money', source: 'model' }, value: 1 },
    ]);
    assert.deepEqual(m.series('nightshift_approvals_requested_total'), [
      { labels: { role: 'draft-bot' }, value: 1 },
    ]);
    assert.deepEqual(m.series('nightshift_approvals_decided_total'), []);
    assert.deepEqual(m.series('nightshift_runs_resumed_total'), []);
  });

  it('has the queue, the worker and the agents as gauges, and the store commit latency', () => {
    assert.equal(m.type('nightshift_queue_depth'), 'gauge');
    for (const role of ['ok-bot', 'fail-bot', 'deny-bot', 'esc-bot', 'draft-bot'])
      assert.equal(m.value('nightshift_queue_depth', { role }), 0);
    // A continuous role has no queue.
    assert.equal(m.value('nightshift_queue_depth', { role: 'watch-bot' }), undefined);
    assert.equal(m.value('nightshift_runs_in_flight'), 0);
    assert.equal(m.value('nightshift_worker_slots'), 4);
    assert.equal(m.value('nightshift_agents_held'), 1);
    const age = m.value('nightshift_agent_heartbeat_age_seconds', { role: 'watch-bot' })!;
    assert.ok(age >= 0 && age < 30, String(age));
    const commits = m.histogram('nightshift_store_commit_duration_seconds')!;
    assert.ok(commits.count >= 6 && commits.sum > 0, JSON.stringify(commits));
    assert.equal(commits.buckets['+Inf'], commits.count);
    assert.equal(m.value('nightshift_metrics_store_read_failures_total'), 0);
  });

  it('names every metric the Prometheus way', () => {
    for (const f of m.families.values()) {
      if (!f.name.startsWith('nightshift_')) continue;
      if (f.type === 'COUNTER') assert.match(f.name, /_total$/);
      else assert.doesNotMatch(f.name, /_total$/);
      if (f.type === 'HISTOGRAM') assert.match(f.name, /_(seconds|usd)$/);
    }
    // The process's own figures are there too.
    assert.equal(m.type('process_cpu_user_seconds_total'), 'counter');
  });
});

describe('nightshift serve --no-metrics', () => {
  it('has no /metrics', async () => {
    const r = role('quiet-bot', { autonomy: 'full', turns: [{ final: {} }] });
    const s = await startServe([r.dir, '--port', '0', '--data-dir', r.dataDir, '--no-metrics']);
    try {
      assert.equal((await fetch(`${s.url}/metrics`, { headers: authFor(s.url) })).status, 404);
      assert.equal((await fetch(`${s.url}/healthz`)).status, 200);
    } finally {
      s.child.kill('SIGKILL');
    }
  });
});
