// What `nightshift serve` writes to its log (pino JSON lines on stdout): each run it drives, at the level
// its outcome deserves, with the run's id and role; and a webhook whose secret is not set, once at start
// and at each refused delivery. Secret values never appear.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { traceIdFor } from '../../src/telemetry/traces/ids.js';
import { authFor, type Served, startServe } from '../support/cli.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

interface LogLine {
  level: number;
  msg: string;
  runId?: string;
  role?: string;
  [key: string]: unknown;
}

const INFO = 30;
const WARN = 40;
const ERROR = 50;

const HOOK_VALUE = 'hook-secret-value-5b1e';
const API_KEY = 'sk-ant-log-test-91f2';

function lines(served: Served): LogLine[] {
  return served
    .stdout()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

const post = (url: string, event: string, body: unknown) =>
  fetch(`${url}/events/${event}`, {
    method: 'POST',
    headers: { ...authFor(url), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as { runs: { runId: string }[] } }));

describe('serve logs', () => {
  let fake: FakeServer;
  let served: Served;
  const roles: TestRole[] = [];
  const role = (r: TestRole) => {
    roles.push(r);
    return r;
  };
  const ok = role(
    writeTestRole({
      name: 'log-ok',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: { summary: 'done' } }],
      extra: { triggers: [{ event: 'go.ok' }] },
    }),
  );
  role(
    writeTestRole({
      name: 'log-paused',
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: {} }],
      extra: { triggers: [{ event: 'go.pause' }] },
    }),
  );
  role(
    writeTestRole({
      name: 'log-flaky',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: {
        model: 'anthropic:claude-sonnet-4-5',
        triggers: [{ event: 'go.flaky' }],
        retry: { maxAttempts: 2, backoffSeconds: 0 },
      },
    }),
  );
  role(
    writeTestRole({
      name: 'log-hook',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: {
        secrets: ['LOG_HOOK_SECRET'],
        triggers: [{ webhook: { path: 'unsigned', secret: 'LOG_HOOK_SECRET' } }],
      },
    }),
  );

  before(async () => {
    fake = await startFakeAnthropic();
    // One failure per attempt, with no retries inside the provider client: the worker's retry is what shows.
    writeFileSync(join(ok.dir, 'nightshift.config.yaml'), 'models:\n  maxRetries: 0\n');
    served = await startServe(
      [...roles.map((r) => r.file), '--port', '0', '--poll-ms', '20', '--data-dir', ok.dataDir],
      {
        cwd: ok.dir,
        // The hook's secret is deliberately absent; another, unrelated secret value is present.
        env: { ANTHROPIC_API_KEY: API_KEY, ANTHROPIC_BASE_URL: fake.url, UNRELATED: HOOK_VALUE },
      },
    );
  });
  after(async () => {
    served?.child.kill('SIGKILL');
    await fake?.close();
    for (const r of roles) r.cleanup();
  });

  const find = (what: string, match: (l: LogLine) => boolean) =>
    waitFor(async () => lines(served).find(match), what);

  it('says at start, as an error, that a webhook cannot be verified because its secret is not set', async () => {
    const line = await find('the missing-secret line', (l) => l.hook === 'unsigned' && l.level === ERROR);
    assert.equal(line.role, 'log-hook');
    assert.equal(line.secret, 'LOG_HOOK_SECRET');
    assert.match(line.msg, /LOG_HOOK_SECRET is not set/);
  });

  it('warns at each delivery to that webhook, which is refused with 503', async () => {
    const res = await fetch(`${served.url}/hooks/unsigned`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nightshift-signature': 't=1,v1=00' },
      body: '{}',
    });
    assert.equal(res.status, 503);
    const line = await find(
      'the refused-delivery line',
      (l) => l.hook === 'unsigned' && l.level === WARN && /refused/.test(l.msg),
    );
    assert.equal(line.role, 'log-hook');
    assert.equal(line.secret, 'LOG_HOOK_SECRET');
  });

  it('logs a run that succeeds at info, with its id, role and trace id', async () => {
    const { status, body } = await post(served.url, 'go.ok', {});
    assert.equal(status, 202);
    const runId = body.runs[0]!.runId;
    const line = await find('the success line', (l) => l.runId === runId && l.msg === 'run succeeded');
    assert.equal(line.level, INFO);
    assert.equal(line.role, 'log-ok');
    // The id of the run's trace (exported when OTEL_EXPORTER_OTLP_* is set): the log leads to the spans.
    assert.equal(line.traceId, traceIdFor(runId));
  });

  it('logs a run that pauses for approval at warn', async () => {
    const { body } = await post(served.url, 'go.pause', {});
    const runId = body.runs[0]!.runId;
    const line = await find('the pause line', (l) => l.runId === runId && /paused/.test(l.msg));
    assert.equal(line.level, WARN);
    assert.equal(line.role, 'log-paused');
    assert.equal(line.status, 'awaiting_approval');
    assert.equal(line.traceId, traceIdFor(runId));
  });

  it('logs a failure that will be retried at warn, and the final failure (dead letter) at error', async () => {
    fake.enqueue({ status: 500, message: 'boom 1' }, { status: 500, message: 'boom 2' });
    const { body } = await post(served.url, 'go.flaky', {});
    const runId = body.runs[0]!.runId;
    const retry = await find('the retry line', (l) => l.runId === runId && /retry scheduled/.test(l.msg));
    assert.equal(retry.level, WARN);
    assert.equal(retry.role, 'log-flaky');
    assert.equal(retry.code, 'MODEL_ERROR');
    assert.equal(retry.attempt, 2);
    const failed = await find(
      'the failure line',
      (l) => l.runId === runId && /run failed \(dead/.test(l.msg),
    );
    assert.equal(failed.level, ERROR);
    assert.equal(failed.role, 'log-flaky');
    assert.equal(failed.code, 'MODEL_ERROR');
    assert.equal(failed.traceId, traceIdFor(runId));
    assert.match(String(failed.error), /boom 2/);
  });

  it('never writes a secret value or API key to the log', () => {
    const text = served.stdout();
    assert.ok(text.length > 0);
    assert.ok(!text.includes(API_KEY), 'the API key reached the log');
    assert.ok(!text.includes(HOOK_VALUE), 'an environment value reached the log');
  });
});
