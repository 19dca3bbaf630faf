// The metrics observer on its own, for what a serve test cannot easily make happen: a write the store
// refused, and a batch of a run whose role this process never read (counted as role "other").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import type { RunStep } from '../../src/steps/types.js';
import { createServeMetrics } from '../../src/telemetry/metrics/index.js';
import { parseScrape } from '../support/prometheus.js';

const roles = [{ name: 'triage', mode: 'job' as const, tools: ['fs.read'], model: 'script:x' }];

describe('the metrics observer', () => {
  it('counts refused writes by error code', async () => {
    const m = createServeMetrics({ roles, processMetrics: false });
    m.observer.failed?.('run-1', new NightshiftError('STORE_CONFLICT', 'seq moved'), 1.5);
    m.observer.failed?.('run-2', new Error('no code'), 0.5);
    const s = parseScrape((await m.render()).body);
    assert.equal(s.value('nightshift_store_commit_failures_total', { code: 'STORE_CONFLICT' }), 1);
    assert.equal(s.value('nightshift_store_commit_failures_total', { code: 'other' }), 1);
  });

  it('counts a run of an unknown role as "other", and its tool call duration from start to finish', async () => {
    const m = createServeMetrics({ roles, processMetrics: false });
    const step = (kind: string, at: number, data: Record<string, unknown>) =>
      ({ runId: 'r', seq: 1, kind, at, data }) as unknown as RunStep;
    const batch = { runId: 'r', expectSeq: 0, steps: [], at: 0 };
    m.observer.committed?.({
      run: undefined,
      batch,
      steps: [step('tool_started', 1000, { key: 'k', tool: 'fs.read' })],
      commitMs: 2,
      created: false,
    });
    m.observer.committed?.({
      run: undefined,
      batch,
      steps: [step('tool_finished', 1250, { key: 'k', tool: 'fs.read', ok: false })],
      commitMs: 4,
      created: false,
    });
    const s = parseScrape((await m.render()).body);
    assert.equal(
      s.value('nightshift_tool_calls_total', { role: 'other', tool: 'fs.read', outcome: 'failed' }),
      1,
    );
    const d = s.histogram('nightshift_tool_call_duration_seconds', { role: 'other', tool: 'fs.read' })!;
    assert.deepEqual([d.count, d.sum, d.buckets['0.1'], d.buckets['0.5']], [1, 0.25, 0, 1]);
    const commits = s.histogram('nightshift_store_commit_duration_seconds')!;
    assert.deepEqual([commits.count, commits.sum], [2, 0.006]);
  });
});
