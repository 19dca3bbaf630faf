// The stats contract: both stores answer `statsRows` (through src/stats/report.ts) with exactly the
// figures of runs whose outcomes the test sets: written as the engine writes them (a first batch with
// `run_started`, then commits with model turns, ledger entries, approvals, escalations, the finish).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { computeStats, type RoleStats } from '../../src/stats/report.js';
import type { CommitBatch, RunStatus, StepRecord, Store } from '../../src/store/types.js';
import { newApproval, newCall, newEscalation, newRun, type StoreFixture } from './store.js';

const T0 = 1_700_000_000_000;

interface RunSpec {
  role: string;
  version: string;
  status: RunStatus;
  /** ms after T0 the run was created. */
  created?: number;
  /** Creation to the first model turn's start; with `resumed`, to a run_resumed step instead. */
  queueWait?: number;
  resumed?: boolean;
  durationMs?: number;
  activeMs?: number;
  costUsd?: number;
  errorCode?: string | null;
  calls?: [tool: string, decision: 'allow' | 'draft' | 'deny' | 'escalate', status: string][];
  /** Change sets: status and, when decided, ms from request to decision. */
  approvals?: [status: 'pending' | 'approved' | 'rejected', decisionMs?: number][];
  /** Escalations: category, raised at creation from the input (`input`) or by a tool rule. */
  escalations?: [category: 'money' | 'legal', source: 'input_rule' | 'tool_rule'][];
  /** A continuous agent's run has an `inbox:` key. */
  idempotencyKey?: string;
}

let n = 0;

/** Writes one run the way the engine does, in two batches, with the outcome `spec` says; returns its id. */
export async function writeRun(store: Store, spec: RunSpec): Promise<string> {
  const createdAt = T0 + (spec.created ?? 0) + n++;
  const run = newRun({
    role: spec.role,
    roleVersion: spec.version,
    status: spec.status === 'queued' ? 'queued' : 'running',
    createdAt,
    updatedAt: createdAt,
    ...(spec.idempotencyKey ? { idempotencyKey: spec.idempotencyKey } : {}),
  });
  const at = (
    seq: number,
    kind: StepRecord['kind'],
    when: number,
    data: Record<string, unknown>,
  ): StepRecord => ({
    runId: run.id,
    seq,
    kind,
    at: when,
    data,
  });
  const first: StepRecord[] = [at(1, 'run_started', createdAt, { input: run.input, model: run.model })];
  const escalations = (spec.escalations ?? []).map(([category, source]) =>
    newEscalation(run.id, { role: spec.role, category, source, createdAt, status: 'answered' }),
  );
  for (const e of escalations.filter((e) => e.source === 'input_rule'))
    first.push(
      at(first.length + 1, 'escalation_raised', createdAt, { escalationId: e.id, category: e.category }),
    );
  run.seq = first.length;
  await store.createRun(run, {
    steps: first,
    escalations: escalations.filter((e) => e.source === 'input_rule').map((record) => ({ record })),
    at: createdAt,
  });
  if (spec.status === 'queued') return run.id;

  const steps: StepRecord[] = [];
  const next = (kind: StepRecord['kind'], when: number, data: Record<string, unknown>) =>
    steps.push(at(run.seq + steps.length + 1, kind, when, data));
  const start = createdAt + (spec.queueWait ?? 0);
  if (spec.resumed) next('run_resumed', start, { owner: 'w1', epoch: 2 });
  else next('model_turn', start + 50, { text: '', calls: [], latencyMs: 50, usage: {} });
  const turnSeq = steps[0]!.seq;
  const cost = spec.costUsd ?? 0;
  const finished = ['succeeded', 'failed', 'cancelled'].includes(spec.status);
  const finishedAt = createdAt + (spec.durationMs ?? 0);
  if (finished) next('run_finished', finishedAt, { status: spec.status });
  const batch: CommitBatch = {
    runId: run.id,
    expectSeq: run.seq,
    steps,
    run: {
      status: spec.status,
      activeMs: spec.activeMs ?? 0,
      usage:
        cost > 0
          ? { inputTokens: 100, outputTokens: 10, cachedInputTokens: 5, costUsd: cost }
          : { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 },
      finishedAt: finished ? finishedAt : null,
      ...(spec.errorCode !== undefined
        ? { error: spec.errorCode === null ? null : { code: spec.errorCode, message: 'it broke' } }
        : {}),
    },
    toolCalls: (spec.calls ?? []).map(([tool, decision, status], i) =>
      newCall(run.id, turnSeq, i, { tool, decision, status: status as never }),
    ),
    approvals: (spec.approvals ?? []).map(([status, decisionMs], i) => {
      const requestedAt = createdAt + 600 + i;
      return {
        record: newApproval(run.id, {
          role: spec.role,
          roleVersion: spec.version,
          status,
          requestedAt,
          decidedAt: decisionMs === undefined ? null : requestedAt + decisionMs,
          decidedBy: decisionMs === undefined ? null : 'ana',
        }),
      };
    }),
    escalations: escalations.filter((e) => e.source === 'tool_rule').map((record) => ({ record })),
    at: finished ? finishedAt : start + 50,
  };
  await store.commit(batch);
  return run.id;
}

const TRIAGE_V1: RunSpec[] = [
  {
    role: 'triage',
    version: 'v1',
    status: 'succeeded',
    queueWait: 100,
    durationMs: 500,
    activeMs: 400,
    costUsd: 0.25,
    calls: [
      ['fs.read', 'allow', 'succeeded'],
      ['fs.write', 'allow', 'succeeded'],
    ],
  },
  {
    role: 'triage',
    version: 'v1',
    status: 'failed',
    queueWait: 200,
    durationMs: 1000,
    activeMs: 900,
    costUsd: 0.5,
    errorCode: 'MODEL_ERROR',
    calls: [['shell.exec', 'deny', 'denied']],
    approvals: [['rejected', 3000]],
  },
  {
    role: 'triage',
    version: 'v1',
    status: 'failed',
    queueWait: 300,
    durationMs: 2000,
    activeMs: 1000,
    costUsd: 0.75,
    errorCode: 'TOOL_FAILED',
    calls: [['refunds.issue', 'escalate', 'answered']],
    escalations: [['money', 'tool_rule']],
  },
  {
    role: 'triage',
    version: 'v1',
    status: 'succeeded',
    queueWait: 400,
    durationMs: 3000,
    activeMs: 500,
    costUsd: 1,
    calls: [['fs.write', 'draft', 'succeeded']],
    approvals: [['approved', 1000]],
  },
  {
    role: 'triage',
    version: 'v1',
    status: 'cancelled',
    queueWait: 5000,
    resumed: true,
    durationMs: 6000,
    activeMs: 100,
    escalations: [['legal', 'input_rule']],
  },
  { role: 'triage', version: 'v1', status: 'queued' },
  {
    role: 'triage',
    version: 'v1',
    status: 'awaiting_approval',
    queueWait: 50,
    costUsd: 0.125,
    calls: [['fs.write', 'draft', 'drafted']],
    approvals: [['pending']],
  },
];

const percentiles = (count: number, p50: number | null, p95: number | null, p99: number | null) => ({
  count,
  p50,
  p95,
  p99,
});

/** Every figure of triage v1, worked out by hand from TRIAGE_V1. */
const EXPECTED_TRIAGE_V1: RoleStats = {
  role: 'triage',
  roleVersion: 'v1',
  runs: {
    total: 7,
    byStatus: {
      queued: 1,
      running: 0,
      awaiting_approval: 1,
      escalated: 0,
      succeeded: 2,
      failed: 2,
      cancelled: 1,
    },
    finished: 5,
    successRate: 2 / 5,
    failureRate: 2 / 5,
    failuresByCode: { MODEL_ERROR: { count: 1, rate: 1 / 5 }, TOOL_FAILED: { count: 1, rate: 1 / 5 } },
  },
  latency: {
    // 50, 100, 200, 300, 400, 5000 (the cancelled run resumed after its input escalation was answered)
    queueWaitMs: percentiles(6, 200, 5000, 5000),
    // 500, 1000, 2000, 3000, 6000
    durationMs: percentiles(5, 2000, 6000, 6000),
    // 100, 400, 500, 900, 1000
    activeMs: percentiles(5, 500, 1000, 1000),
  },
  toolCalls: {
    total: 6,
    byTool: { 'fs.read': 1, 'fs.write': 3, 'shell.exec': 1, 'refunds.issue': 1 },
    byDecision: { allowed: 2, drafted: 2, denied: 1, escalated: 1 },
    byOutcome: { succeeded: 3, denied: 1, answered: 1, drafted: 1 },
  },
  cost: {
    totalUsd: 2.625,
    // finished runs: 0, 0.25, 0.5, 0.75, 1
    perTask: { meanUsd: 0.5, ...percentiles(5, 0.5, 1, 1) },
    tokens: { input: 500, output: 50, cachedInput: 25 },
  },
  escalations: { total: 2, escalatedRuns: 2, rate: 2 / 7, byCategory: { money: 1, legal: 1 } },
  approvals: {
    total: 3,
    byStatus: { pending: 1, approved: 1, rejected: 1, cancelled: 0 },
    approveRate: 0.5,
    rejectRate: 0.5,
    timeToDecisionMs: percentiles(2, 1000, 3000, 3000),
  },
};

export function describeStatsContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Stats contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    before(async () => {
      fx = await open();
      store = fx.store;
      await store.init();
      for (const spec of TRIAGE_V1) await writeRun(store, spec);
      await writeRun(store, {
        role: 'triage',
        version: 'v2',
        status: 'succeeded',
        queueWait: 10,
        durationMs: 100,
        activeMs: 80,
        costUsd: 0.5,
      });
      // One billing run long before the others (outside --since), one failed without an error record.
      await writeRun(store, { role: 'billing', version: 'v1', status: 'succeeded', created: -86_400_000 });
      await writeRun(store, { role: 'billing', version: 'v1', status: 'failed', errorCode: null });
    });
    after(async () => {
      await store.close();
      await fx.cleanup();
    });

    it('reports every figure of a role version exactly', async () => {
      const report = await computeStats(store, { role: 'triage', version: 'v1' });
      assert.deepEqual(report.filter, { role: 'triage', version: 'v1', since: null });
      assert.deepEqual(report.groups, [EXPECTED_TRIAGE_V1]);
    });

    it('splits a role by version, and covers every role when none is named', async () => {
      const triage = await computeStats(store, { role: 'triage' });
      assert.deepEqual(
        triage.groups.map((g) => [g.roleVersion, g.runs.total]),
        [
          ['v1', 7],
          ['v2', 1],
        ],
      );
      const v2 = triage.groups[1]!;
      assert.deepEqual(v2.latency.queueWaitMs, percentiles(1, 10, 10, 10));
      assert.deepEqual(v2.cost.perTask, { meanUsd: 0.5, ...percentiles(1, 0.5, 0.5, 0.5) });
      assert.equal(v2.runs.successRate, 1);
      assert.equal(v2.escalations.rate, 0);
      assert.equal(v2.approvals.approveRate, null);
      assert.deepEqual(v2.approvals.timeToDecisionMs, percentiles(0, null, null, null));
      const all = await computeStats(store);
      assert.deepEqual(
        all.groups.map((g) => `${g.role} ${g.roleVersion} ${g.runs.total}`),
        ['billing v1 2', 'triage v1 7', 'triage v2 1'],
      );
      assert.deepEqual(all.groups[1], EXPECTED_TRIAGE_V1);
    });

    it('--since keeps only runs created at or after it; a failure without an error counts under ""', async () => {
      const billing = await computeStats(store, { role: 'billing', since: T0 - 1_000 });
      assert.equal(billing.filter.since, new Date(T0 - 1_000).toISOString());
      const [g] = billing.groups;
      assert.deepEqual(g?.runs.byStatus.failed, 1);
      assert.equal(g?.runs.total, 1);
      assert.deepEqual(g?.runs.failuresByCode, { '': { count: 1, rate: 1 } });
      const older = await computeStats(store, { role: 'billing' });
      assert.equal(older.groups[0]?.runs.total, 2);
      assert.deepEqual(older.groups[0]?.runs.failureRate, 0.5);
      const none = await computeStats(store, { role: 'triage', since: T0 + 86_400_000 });
      assert.deepEqual(none.groups, []);
    });

    it('counts a run with two escalations once, whether one role or every role is asked', async () => {
      // SQLite reads escalated runs two ways (per run for one role, from the escalations across roles):
      // the count must be the same. Written last: the tests above count every role.
      const escalations: RunSpec['escalations'] = [
        ['money', 'input_rule'],
        ['legal', 'input_rule'],
      ];
      // Created now, as the engine creates runs: an hour the stats rollup has not closed.
      const created = Date.now() - T0;
      await writeRun(store, { role: 'support', version: 'v1', status: 'succeeded', escalations, created });
      await writeRun(store, { role: 'support', version: 'v1', status: 'succeeded', created });
      const expected = { total: 2, escalatedRuns: 1, rate: 1 / 2, byCategory: { money: 1, legal: 1 } };
      const one = await computeStats(store, { role: 'support' });
      assert.deepEqual(one.groups[0]?.escalations, expected);
      const every = await computeStats(store);
      assert.deepEqual(every.groups.find((g) => g.role === 'support')?.escalations, expected);
      assert.deepEqual(
        every.groups.find((g) => g.role === 'triage' && g.roleVersion === 'v1'),
        EXPECTED_TRIAGE_V1,
      );
      const since = await computeStats(store, { since: T0 - 1_000 });
      assert.deepEqual(since.groups.find((g) => g.role === 'support')?.escalations, expected);
    });
  });
}
