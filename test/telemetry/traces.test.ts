// Traces: a run's committed steps become OpenTelemetry spans sent over OTLP/HTTP to a real local
// receiver — the run as the root, a `chat` span per model turn, a `policy` span per decision, an
// `execute_tool` span per finished call, a span per human decision — with the GenAI attributes; and a
// run killed with SIGKILL and resumed by another process continues the same trace without duplicates.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { tracesEnabled } from '../../src/telemetry/traces/from-env.js';
import { rootSpanIdFor, stepSpanIdFor, traceIdFor } from '../../src/telemetry/traces/ids.js';
import { json, runCli, startCli } from '../support/cli.js';
import { type ReceivedSpan, startOtlpReceiver } from '../support/otlp-receiver.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();

const OTEL_KEYS = [
  'OTEL_EXPORTER_OTLP_ENDPOINT',
  'OTEL_EXPORTER_OTLP_HEADERS',
  'NIGHTSHIFT_OTEL_CAPTURE_CONTENT',
];
afterEach(() => {
  for (const k of OTEL_KEYS) delete process.env[k];
});

const byName = (spans: ReceivedSpan[], prefix: string) => spans.filter((s) => s.name.startsWith(prefix));

/** Every span of the run is in its trace, the root has no parent, the others hang under the root. */
function assertOneTree(spans: ReceivedSpan[], runId: string): void {
  const trace = traceIdFor(runId);
  assert.ok(spans.every((s) => s.traceId === trace));
  const roots = spans.filter((s) => s.parentSpanId === undefined);
  assert.equal(roots.length, 1);
  assert.equal(roots[0]!.spanId, rootSpanIdFor(runId));
  for (const s of spans) if (s !== roots[0]) assert.equal(s.parentSpanId, rootSpanIdFor(runId));
  assert.equal(new Set(spans.map((s) => s.spanId)).size, spans.length, 'no span is sent twice');
  for (const s of spans) assert.ok(s.startMs <= s.endMs, s.name);
}

describe('traces', () => {
  it('are off unless an OTLP endpoint is set', () => {
    assert.equal(tracesEnabled({}), false);
    assert.equal(tracesEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: '' }), false);
    assert.equal(tracesEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }), true);
    assert.equal(tracesEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/v1/traces' }), true);
    assert.equal(
      tracesEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }),
      false,
    );
  });

  it('a run with an approval: one trace, its spans under the run, GenAI attributes, no content', async () => {
    const receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-team=night';
    const r = role({
      name: 'traced',
      autonomy: 'draft',
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: { summary: 'done' } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    let runId: string;
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      runId = paused.runId;
      const done = await rt.approve(paused.pending[0]!, { by: 'alice' });
      assert.equal(done.status, 'succeeded');
    } finally {
      await rt.close();
      await receiver.close();
    }
    const spans = receiver.spans;
    assertOneTree(spans, runId);
    assert.equal(receiver.headers[0]!['x-team'], 'night');
    assert.equal(spans[0]!.resource['service.name'], 'nightshift');

    const steps = (await (async () => {
      const again = await createRuntime({ dataDir: r.dataDir });
      try {
        return (await again.get(runId))!.steps;
      } finally {
        await again.close();
      }
    })())!;
    const seqOf = (kind: string) => steps.filter((s) => s.kind === kind).map((s) => s.seq);

    const root = spans.find((s) => s.parentSpanId === undefined)!;
    assert.equal(root.name, 'invoke_agent traced');
    assert.equal(root.attributes['gen_ai.operation.name'], 'invoke_agent');
    assert.equal(root.attributes['nightshift.run_id'], runId);
    assert.equal(root.attributes['nightshift.role'], 'traced');
    assert.equal(root.attributes['nightshift.autonomy'], 'draft');
    assert.equal(root.attributes['nightshift.run_status'], 'succeeded');

    const chats = byName(spans, 'chat ');
    assert.deepEqual(
      chats.map((s) => s.spanId),
      seqOf('model_turn').map((seq) => stepSpanIdFor(runId, seq)),
    );
    for (const c of chats) {
      assert.equal(c.kind, 3, 'a model turn is a CLIENT span');
      assert.equal(c.attributes['gen_ai.operation.name'], 'chat');
      assert.equal(typeof c.attributes['gen_ai.provider.name'], 'string');
      assert.equal(c.name, `chat ${c.attributes['gen_ai.request.model']}`);
      assert.equal(typeof c.attributes['gen_ai.response.model'], 'string');
      assert.equal(typeof c.attributes['gen_ai.usage.input_tokens'], 'number');
      assert.equal(typeof c.attributes['gen_ai.usage.output_tokens'], 'number');
      assert.equal(c.attributes['nightshift.role_version'], root.attributes['nightshift.role_version']);
      assert.equal(c.attributes['gen_ai.output.messages'], undefined, 'content is not exported by default');
    }

    const [policy] = byName(spans, 'policy ');
    assert.equal(policy!.name, 'policy fs.write');
    assert.equal(policy!.attributes['nightshift.decision'], 'draft');
    assert.equal(typeof policy!.attributes['nightshift.decision_reason'], 'string');
    assert.equal(policy!.attributes['gen_ai.tool.name'], 'fs.write');
    const callId = policy!.attributes['gen_ai.tool.call.id'];
    assert.equal(typeof callId, 'string');

    const [tool] = byName(spans, 'execute_tool ');
    assert.equal(tool!.name, 'execute_tool fs.write');
    assert.equal(tool!.attributes['gen_ai.operation.name'], 'execute_tool');
    assert.equal(tool!.attributes['gen_ai.tool.call.id'], callId);
    assert.equal(tool!.attributes['gen_ai.tool.call.arguments'], undefined);

    const [approval] = byName(spans, 'approval_decided');
    assert.equal(approval!.attributes['nightshift.decision'], 'approved');
    assert.equal(approval!.attributes['nightshift.decided_by'], 'alice');
    assert.equal(approval!.attributes['nightshift.autonomy'], 'draft');
    assert.ok(approval!.startMs <= approval!.endMs);
    assert.equal(spans.length, 1 + chats.length + 2 + 1);
  });

  it('a run that fails without a turn (its script exhausted) still reports its usage on the root span', async () => {
    // before: the failing batch carried no usage, and the root span of a run that had spent $0.30 said
    // nothing of it (a succeeded run's did).
    const receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    const r = role({
      name: 'spent',
      autonomy: 'full',
      turns: [
        {
          call: 'fs.write',
          args: { path: 'a.txt', content: 'x' },
          usage: { inputTokens: 100, outputTokens: 20, costUsd: 0.3 },
        },
      ],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    let runId: string;
    try {
      const failed = await rt.run(r.file, {});
      assert.equal(failed.status, 'failed');
      runId = failed.runId;
    } finally {
      await rt.close();
      await receiver.close();
    }
    const root = receiver.spans.find((s) => s.parentSpanId === undefined && s.traceId === traceIdFor(runId))!;
    assert.equal(root.attributes['nightshift.run_status'], 'failed');
    assert.equal(root.attributes['gen_ai.usage.input_tokens'], 100);
    assert.equal(root.attributes['gen_ai.usage.output_tokens'], 20);
    assert.equal(root.attributes['nightshift.usage.cost_usd'], 0.3);
  });

  it('exports model output and tool arguments only when NIGHTSHIFT_OTEL_CAPTURE_CONTENT=true', async () => {
    const receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.NIGHTSHIFT_OTEL_CAPTURE_CONTENT = 'true';
    const r = role({
      autonomy: 'full',
      turns: [{ call: 'fs.list', args: { path: '.' } }, { final: { summary: 'done' } }],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
    } finally {
      await rt.close();
      await receiver.close();
    }
    const [first] = byName(receiver.spans, 'chat ');
    const messages = JSON.parse(String(first!.attributes['gen_ai.output.messages']));
    assert.equal(messages[0].role, 'assistant');
    assert.deepEqual(messages[0].parts.find((p: { type: string }) => p.type === 'tool_call').arguments, {
      path: '.',
    });
    const [tool] = byName(receiver.spans, 'execute_tool ');
    assert.deepEqual(JSON.parse(String(tool!.attributes['gen_ai.tool.call.arguments'])), { path: '.' });
    assert.equal(typeof tool!.attributes['gen_ai.tool.call.result'], 'string');
  });

  it('never exports a secret value, even with content capture on: it leaves as `[secret NAME]`', async () => {
    const receiver = await startOtlpReceiver();
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    process.env.NIGHTSHIFT_OTEL_CAPTURE_CONTENT = 'true';
    const value = 'tok-TRACE-71c9e2';
    const r = role({
      autonomy: 'full',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [
        { call: 'fs.write', args: { path: 'out.txt', content: `token=${value}` } },
        { final: { summary: `wrote ${value}` } },
      ],
      extra: { secrets: ['API_TOKEN'], secretsFile: './secrets.env' },
    });
    writeFileSync(join(r.dir, 'secrets.env'), `API_TOKEN=${value}\n`);
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
    } finally {
      await rt.close();
      await receiver.close();
    }
    const sent = JSON.stringify(receiver.spans);
    assert.ok(!sent.includes(value), 'a secret value was exported');
    assert.ok(sent.includes('[secret API_TOKEN]'), 'the content was exported, redacted');
  });

  it('kill -9 mid-run, resume in another process: the same trace, no span twice', async () => {
    const receiver = await startOtlpReceiver();
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20' };
    try {
      const r = role({
        autonomy: 'full',
        tools: ['ledger.append'],
        turns: [{ call: 'ledger.append', args: { entry: 'e1', hold: 'h1' } }, { final: { summary: 'done' } }],
      });
      const { child, done: exited } = startCli(['run', r.file, '--json', '--data-dir', r.dataDir], { env });
      await waitFor(
        async () => (existsSync(join(r.workspace, 'reached-h1')) ? true : undefined),
        'the tool to start',
      );
      // The spans of what was committed before the tool started (the model turn, the decision) have left.
      await waitFor(
        async () => (byName(receiver.spans, 'policy ').length === 1 ? true : undefined),
        'the first spans',
      );
      child.kill('SIGKILL');
      assert.equal((await exited).signal, 'SIGKILL');
      writeFileSync(join(r.workspace, 'release-h1'), '');
      const before = receiver.spans.length;
      const runId = receiver.spans[0]!.attributes['nightshift.run_id'] as string;

      const resumed = await runCli(['resume', runId, '--json', '--data-dir', r.dataDir], { env });
      assert.equal(resumed.code, 3, resumed.stderr);
      const s = json<{ status: string; escalations: { id: string }[] }>(resumed);
      assert.equal(s.status, 'escalated');
      const answered = await runCli(
        ['answer', s.escalations[0]!.id, 'checked: it went through', '--json', '--data-dir', r.dataDir],
        { env },
      );
      assert.equal(answered.code, 0, answered.stderr);

      const spans = receiver.spans;
      assert.ok(spans.length > before, 'the resumed process continued the trace');
      assertOneTree(spans, runId);
      const names = spans.map((s) => s.name).sort();
      // The non-idempotent call's outcome is unknown after the crash: no execute_tool span (it never
      // finished in any process); the human's answer is one; the run ends once, in the last process.
      assert.deepEqual(names, [
        'chat script',
        'chat script',
        'escalation_answered',
        'invoke_agent test-role',
        'policy ledger.append',
      ]);
      const [answer] = byName(spans, 'escalation_answered');
      assert.equal(answer!.attributes['nightshift.escalation_category'], 'unknown_outcome');
      assert.equal(answer!.attributes['nightshift.decided_by'], 'tester');
    } finally {
      await receiver.close();
    }
  });
});
