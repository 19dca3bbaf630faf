// The spans a committed batch makes, from synthetic batches: derived ids, times taken from the steps and
// the ledger, a failed run's root marked as an error, and no span for steps that are not traced.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunStep } from '../../src/steps/types.js';
import type { ToolCallRecord } from '../../src/store/types.js';
import type { CommittedBatch } from '../../src/telemetry/commit-tap.js';
import { rootSpanIdFor, stepSpanIdFor, traceIdFor } from '../../src/telemetry/traces/ids.js';
import { SpanBuilder } from '../../src/telemetry/traces/spans.js';

const RUN = { id: 'run-1', role: 'desk', roleVersion: 'v1', createdAt: 1_000 };

function batch(steps: unknown[], extra: Partial<CommittedBatch['batch']> = {}): CommittedBatch {
  const typed = steps as RunStep[];
  return {
    run: RUN,
    batch: { runId: RUN.id, expectSeq: 0, steps: typed, at: 0, ...extra } as CommittedBatch['batch'],
    steps: typed,
    commitMs: 1,
    created: false,
  };
}

const step = (seq: number, kind: string, at: number, data: Record<string, unknown>) => ({
  runId: RUN.id,
  seq,
  kind,
  at,
  data,
});

describe('spans from committed steps', () => {
  it('derives the trace id from the run id and span ids from (run id, seq)', () => {
    assert.match(traceIdFor('run-1'), /^[0-9a-f]{32}$/);
    assert.equal(traceIdFor('run-1'), traceIdFor('run-1'));
    assert.notEqual(traceIdFor('run-1'), traceIdFor('run-2'));
    assert.match(stepSpanIdFor('run-1', 3), /^[0-9a-f]{16}$/);
    assert.notEqual(stepSpanIdFor('run-1', 3), stepSpanIdFor('run-1', 4));
    assert.notEqual(rootSpanIdFor('run-1'), stepSpanIdFor('run-1', 0));
  });

  it('times a tool call from its ledger claim, or from the tool_started seen here, to tool_finished', () => {
    const b = new SpanBuilder({ captureContent: false });
    const call = {
      key: 'run-1:2:0',
      callId: 'c1',
      startedAt: 5_000,
      args: {},
      result: null,
    } as ToolCallRecord;
    const [fromLedger] = b.spansOf(
      batch([step(7, 'tool_finished', 5_400, { key: call.key, tool: 't.x', ok: true })], {
        toolCalls: [call],
      }),
    );
    assert.equal(fromLedger!.startMs, 5_000);
    assert.equal(fromLedger!.endMs, 5_400);
    assert.equal(fromLedger!.attributes['gen_ai.tool.call.id'], 'c1');
    assert.equal(fromLedger!.attributes['nightshift.model_turn_step'], 2);
    assert.equal(fromLedger!.parentSpanId, rootSpanIdFor(RUN.id));

    assert.deepEqual(
      b.spansOf(batch([step(8, 'tool_started', 6_000, { key: 'run-1:2:1', tool: 't.y' })])),
      [],
    );
    const [fromStep] = b.spansOf(
      batch([
        step(9, 'tool_finished', 6_300, { key: 'run-1:2:1', tool: 't.y', ok: false, stopped: 'budget' }),
      ]),
    );
    assert.equal(fromStep!.startMs, 6_000);
    assert.equal(fromStep!.error, 'stopped: budget');
    assert.equal(fromStep!.attributes['nightshift.tool_stopped'], 'budget');
  });

  it("ends a failed run's root span with an error, starting when the run was created", () => {
    const b = new SpanBuilder({ captureContent: false });
    const spans = b.spansOf(
      batch([
        step(4, 'executor_event', 8_000, { executor: 'x', type: 'assistant' }),
        step(5, 'run_finished', 9_000, {
          status: 'failed',
          output: null,
          error: { code: 'MODEL_ERROR', message: 'boom' },
        }),
      ]),
    );
    assert.equal(spans.length, 1, 'an executor event makes no span');
    const [root] = spans;
    assert.equal(root!.parentSpanId, undefined);
    assert.equal(root!.spanId, rootSpanIdFor(RUN.id));
    assert.equal(root!.startMs, RUN.createdAt);
    assert.equal(root!.endMs, 9_000);
    assert.equal(root!.error, 'MODEL_ERROR');
    assert.equal(root!.attributes['nightshift.run_status'], 'failed');
  });
});
