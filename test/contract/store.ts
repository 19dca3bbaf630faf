// The Store contract: every implementation (the embedded SQLite store, the Postgres store) runs this
// suite. It assumes nothing about the backend beyond the Store interface: no synchronous access, no file,
// no single-writer lock. Each test makes its own runs (unique ids, roles), so tests share one store.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { settledSteps, settledStepsOf } from '../../src/engine/busy-progress.js';
import type {
  ApprovalRecord,
  CommitBatch,
  EscalationRecord,
  RunRecord,
  RunSnapshot,
  StepRecord,
  Store,
  SubscriptionRecord,
  ToolCallRecord,
} from '../../src/store/types.js';

export interface StoreFixture {
  store: Store;
  /** Closes the store and opens the same database again (the persistence check). */
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

let counter = 0;
const nextId = (p: string) => `${p}_${Date.now().toString(36)}${(counter++).toString(36).padStart(4, '0')}`;

/**
 * Text that breaks naive encodings: accents, CJK, an emoji (astral plane), quotes, a backslash, control
 * characters. Not NUL: Postgres text and JSONB cannot hold it, so the contract does not ask for it.
 */
const AWKWARD = 'ünïcødé ✓ 日本語 🦉 "quoted" \'single\' back\\slash tab:\t ctrl:\u0001 line\nbreak';

export function newRun(over: Partial<RunRecord> = {}): RunRecord {
  const id = over.id ?? nextId('run');
  return {
    id,
    role: 'contract-role',
    roleVersion: 'v1',
    model: 'script:/x.yaml',
    status: 'running',
    input: { ticket: 'T-1', note: AWKWARD, nested: { list: [1, 'two', null, { deep: true }], empty: {} } },
    output: null,
    error: null,
    seq: 1,
    turns: 0,
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 },
    activeMs: 0,
    grant: { steps: 0, costUsd: 0, seconds: 0 },
    idempotencyKey: null,
    leaseOwner: null,
    leaseUntil: null,
    leaseEpoch: 0,
    createdAt: 1_000 + counter,
    updatedAt: 1_000 + counter,
    finishedAt: null,
    attempt: 1,
    notBefore: null,
    ...over,
  };
}

export const step = (
  runId: string,
  seq: number,
  kind: StepRecord['kind'] = 'model_turn',
  data: Record<string, unknown> = { seq },
): StepRecord => ({ runId, seq, kind, at: 2_000 + seq, data });

export function newCall(
  runId: string,
  stepSeq: number,
  index: number,
  over: Partial<ToolCallRecord> = {},
): ToolCallRecord {
  return {
    key: `${runId}:${stepSeq}:${index}`,
    runId,
    step: stepSeq,
    index,
    callId: `call_${index}`,
    tool: 'fs.write',
    args: { path: 'a.txt', content: 'x' },
    argsHash: 'hash',
    decision: 'allow',
    reason: 'allowed',
    status: 'pending',
    result: null,
    isError: false,
    approvalId: null,
    escalationId: null,
    startedAt: null,
    finishedAt: null,
    ...over,
  };
}

export function newApproval(runId: string, over: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    id: nextId('apr'),
    runId,
    role: 'contract-role',
    roleVersion: 'v1',
    autonomy: 'draft',
    status: 'pending',
    callKeys: [`${runId}:2:0`],
    changeSetHash: 'csh',
    calls: [
      { key: `${runId}:2:0`, tool: 'fs.write', args: { path: 'a.txt' }, effect: 'write', reason: 'draft' },
    ],
    requestedAt: 3_000,
    decidedAt: null,
    decidedBy: null,
    note: null,
    ...over,
  };
}

export function newEscalation(runId: string, over: Partial<EscalationRecord> = {}): EscalationRecord {
  return {
    id: nextId('esc'),
    runId,
    role: 'contract-role',
    category: 'money',
    reason: 'over limit',
    missing: null,
    source: 'tool_rule',
    callKey: null,
    context: { call: { tool: 'refunds.issue', args: { amount: 150 } } },
    status: 'pending',
    answer: null,
    answeredBy: null,
    answeredAt: null,
    allowCall: false,
    createdAt: 3_000,
    ...over,
  };
}

async function create(store: Store, over: Partial<RunRecord> = {}): Promise<RunRecord> {
  const run = newRun(over);
  const { created } = await store.createRun(run, {
    steps: [step(run.id, 1, 'run_started', { input: run.input })],
    at: run.createdAt,
  });
  assert.equal(created, true);
  return run;
}

function batch(runId: string, expectSeq: number, over: Partial<CommitBatch> = {}): CommitBatch {
  return { runId, expectSeq, steps: [step(runId, expectSeq + 1)], at: 5_000, ...over };
}

/** One run from the queue: `claimNextRuns` with one free slot, as a worker with one slot claims. */
async function claimOne(
  store: Store,
  owner: string,
  until: number,
  now: number,
  roles: readonly string[],
  limits: Readonly<Record<string, number>> = {},
): Promise<RunRecord | undefined> {
  return (await store.claimNextRuns(owner, until, now, roles, limits, 1))[0]?.run;
}

async function snapshot(store: Store, runId: string): Promise<RunSnapshot> {
  const snap = await store.loadRun(runId);
  assert.ok(snap, `run ${runId} should exist`);
  return snap;
}

export function describeStoreContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store contract: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    before(async () => {
      fx = await open();
      store = fx.store;
      await store.init();
      await store.init(); // idempotent
    });
    after(async () => {
      await store.close();
      await fx.cleanup();
    });

    describe('records round-trip exactly', () => {
      it('creates a run and reads it back exactly, with its first steps', async () => {
        const run = await create(store);
        assert.deepEqual(await store.getRun(run.id), run);
        const snap = await snapshot(store, run.id);
        assert.deepEqual(snap.run, run);
        assert.deepEqual(snap.steps, [step(run.id, 1, 'run_started', { input: run.input })]);
        assert.deepEqual([snap.toolCalls, snap.approvals, snap.escalations], [[], [], []]);
        assert.equal(await store.getRun('run_missing'), undefined);
        assert.equal(await store.loadRun('run_missing'), undefined);
      });

      it('creates a run with records in its first batch', async () => {
        const run = newRun({ seq: 2, leaseOwner: 'w1', leaseUntil: 9_999, idempotencyKey: nextId('key') });
        const call = newCall(run.id, 2, 0, { args: { text: AWKWARD } });
        const approval = newApproval(run.id);
        const escalation = newEscalation(run.id);
        const res = await store.createRun(run, {
          steps: [step(run.id, 1, 'run_started'), step(run.id, 2, 'model_turn', { text: AWKWARD })],
          toolCalls: [call],
          approvals: [{ record: approval }],
          escalations: [{ record: escalation }],
          audit: [{ at: 1, actor: 'api', action: 'run.created', runId: run.id, target: null, data: {} }],
          at: run.createdAt,
        });
        assert.deepEqual(res, { run, created: true });
        const snap = await snapshot(store, run.id);
        assert.deepEqual(snap.run, run);
        assert.equal(snap.steps.length, 2);
        assert.deepEqual(snap.toolCalls, [call]);
        assert.deepEqual(snap.approvals, [approval]);
        assert.deepEqual(snap.escalations, [escalation]);
        assert.deepEqual(
          (await store.listAudit({ runId: run.id })).map((a) => a.action),
          ['run.created'],
        );
      });

      it('keeps every field of every record type, nested JSON and unicode included', async () => {
        const run = await create(store, { model: `model ${AWKWARD}` });
        const call = newCall(run.id, 2, 0, {
          callId: 'toolu_01 🦉',
          args: { text: AWKWARD, list: [[1, [2, [3]]], { a: null, b: false, c: 0, d: -1.5e-7 }] },
          argsHash: 'a'.repeat(64),
          decision: 'escalate',
          reason: AWKWARD,
          status: 'held',
          result: [{ deep: { deeper: [AWKWARD] } }],
          isError: true,
          approvalId: 'apr_x',
          escalationId: 'esc_x',
          startedAt: 1_700_000_000_123,
          finishedAt: 1_700_000_000_456,
        });
        const approval = newApproval(run.id, {
          autonomy: 'sandbox',
          callKeys: [call.key, `${run.id}:2:1`],
          calls: [
            { key: call.key, tool: 'fs.write', args: { body: AWKWARD }, effect: 'write', reason: 'r' },
            { key: `${run.id}:2:1`, tool: 'http.post', args: { n: [1, 2] }, effect: 'external', reason: '' },
          ],
          note: AWKWARD,
        });
        const escalation = newEscalation(run.id, {
          category: 'security',
          missing: AWKWARD,
          source: 'unknown_outcome',
          callKey: call.key,
          context: { conversation: [{ role: 'user', text: AWKWARD }], input: { n: 1 } },
        });
        const patch = {
          status: 'failed' as const,
          output: { summary: AWKWARD, items: [{ id: 1 }, { id: 2 }] },
          error: { code: 'TOOL_FAILED', message: AWKWARD, details: { attempt: 2, nested: { ok: false } } },
          turns: 7,
          usage: { inputTokens: 123_456, outputTokens: 7_890, cachedInputTokens: 42, costUsd: 0.123456789 },
          activeMs: 98_765,
          grant: { steps: 5, costUsd: 1.25, seconds: 600 },
          finishedAt: 1_700_000_001_000,
          leaseOwner: 'host/123/abcd',
          leaseUntil: 1_700_000_031_000,
        };
        await store.commit(
          batch(run.id, 1, {
            steps: [step(run.id, 2, 'model_turn', { text: AWKWARD, calls: [{ args: { x: [null] } }] })],
            run: patch,
            toolCalls: [call],
            approvals: [{ record: approval }],
            escalations: [{ record: escalation }],
            audit: [
              {
                at: 5,
                actor: `human:${AWKWARD}`,
                action: 'run.failed',
                runId: run.id,
                target: call.key,
                data: { why: AWKWARD },
              },
            ],
            at: 1_700_000_001_000,
          }),
        );
        const snap = await snapshot(store, run.id);
        assert.deepEqual(snap.run, { ...run, ...patch, seq: 2, updatedAt: 1_700_000_001_000 });
        assert.deepEqual(
          snap.steps[1],
          step(run.id, 2, 'model_turn', { text: AWKWARD, calls: [{ args: { x: [null] } }] }),
        );
        assert.deepEqual(snap.toolCalls, [call]);
        assert.deepEqual(snap.approvals, [approval]);
        assert.deepEqual(snap.escalations, [escalation]);
        assert.deepEqual(await store.getApproval(approval.id), approval);
        assert.deepEqual(await store.getEscalation(escalation.id), escalation);
        assert.equal(await store.getApproval('apr_missing'), undefined);
        assert.equal(await store.getEscalation('esc_missing'), undefined);
        const [event] = await store.listAudit({ runId: run.id });
        assert.ok(event);
        assert.equal(typeof event.id, 'number');
        assert.deepEqual(
          { ...event, id: 0 },
          {
            id: 0,
            at: 5,
            actor: `human:${AWKWARD}`,
            action: 'run.failed',
            runId: run.id,
            target: call.key,
            data: { why: AWKWARD },
          },
        );
      });

      it('stores a role version once: a second put of the same name and version changes nothing', async () => {
        const rec = {
          name: nextId('role'),
          version: 'abc',
          spec: { tools: ['fs.read'], nested: { a: [1, { b: AWKWARD }] } },
          createdAt: 1,
        };
        await store.putRoleVersion(rec);
        await store.putRoleVersion(rec);
        await store.putRoleVersion({ ...rec, spec: { changed: true }, createdAt: 2 });
        assert.deepEqual(await store.getRoleVersion(rec.name, 'abc'), rec);
        assert.equal(await store.getRoleVersion(rec.name, 'zzz'), undefined);
        await store.putRoleVersion({ ...rec, version: 'def' });
        assert.equal((await store.getRoleVersion(rec.name, 'def'))?.version, 'def');
      });
    });

    describe('createRun', () => {
      it('returns the existing run for a repeated idempotency key and writes nothing', async () => {
        const key = nextId('key');
        const first = await create(store, { idempotencyKey: key });
        const second = newRun({ idempotencyKey: key, role: 'other-role' });
        const res = await store.createRun(second, {
          steps: [step(second.id, 1, 'run_started')],
          toolCalls: [newCall(second.id, 1, 0)],
          audit: [{ at: 1, actor: 'api', action: 'run.created', runId: second.id, target: null, data: {} }],
          at: 1,
        });
        assert.equal(res.created, false);
        assert.deepEqual(res.run, first);
        assert.equal(await store.getRun(second.id), undefined);
        assert.deepEqual(await store.listAudit({ runId: second.id }), []);
        assert.equal((await store.listRuns({ role: 'other-role' })).length, 0);
      });

      it('lets exactly one of two concurrent creates with the same idempotency key create the run', async () => {
        const key = nextId('key');
        const a = newRun({ idempotencyKey: key });
        const b = newRun({ idempotencyKey: key });
        const results = await Promise.all(
          [a, b].map((r) => store.createRun(r, { steps: [step(r.id, 1, 'run_started')], at: 1 })),
        );
        assert.deepEqual(results.map((r) => r.created).sort(), [false, true]);
        assert.equal(results[0]!.run.id, results[1]!.run.id);
      });

      it('runs without an idempotency key never collide on it', async () => {
        const a = await create(store);
        const b = await create(store);
        assert.notEqual((await store.getRun(a.id))?.id, (await store.getRun(b.id))?.id);
      });

      it('fails with STORE_ERROR on an id that exists, writing nothing', async () => {
        const run = await create(store);
        const again = { ...run, role: 'changed-role' };
        await assert.rejects(
          store.createRun(again, {
            steps: [step(run.id, 1, 'run_started', { again: true })],
            audit: [{ at: 1, actor: 'api', action: 'dup', runId: run.id, target: null, data: {} }],
            at: 1,
          }),
          { code: 'STORE_ERROR' },
        );
        const snap = await snapshot(store, run.id);
        assert.equal(snap.run.role, run.role);
        assert.deepEqual(snap.steps[0]!.data, { input: run.input });
        assert.deepEqual(await store.listAudit({ runId: run.id }), []);
      });

      it('rejects initial steps that are not numbered 1..seq with INTERNAL', async () => {
        const run = newRun({ seq: 2 });
        await assert.rejects(store.createRun(run, { steps: [step(run.id, 1, 'run_started')], at: 1 }), {
          code: 'INTERNAL',
          details: { runId: run.id, seq: 2, steps: 1 },
        });
        const other = newRun();
        await assert.rejects(store.createRun(other, { steps: [step(other.id, 2)], at: 1 }), {
          code: 'INTERNAL',
        });
        assert.equal(await store.getRun(run.id), undefined);
        assert.equal(await store.getRun(other.id), undefined);
      });
    });

    describe('commit', () => {
      it('commits steps, a run patch and records atomically, in order', async () => {
        const run = await create(store);
        const call = newCall(run.id, 2, 0, { status: 'started', startedAt: 5 });
        await store.commit(
          batch(run.id, 1, {
            steps: [step(run.id, 2, 'model_turn'), step(run.id, 3, 'decision', { decision: 'allow' })],
            run: {
              turns: 1,
              usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, costUsd: 0.0123 },
              activeMs: 42,
            },
            toolCalls: [call],
            audit: [
              { at: 5, actor: 'tester', action: 'x.did', runId: run.id, target: 't', data: { ok: true } },
            ],
          }),
        );
        await store.commit(
          batch(run.id, 3, {
            toolCalls: [{ ...call, status: 'succeeded', result: { bytes: 1, list: ['é'] }, finishedAt: 6 }],
            run: { status: 'succeeded', output: { summary: 'done' }, finishedAt: 7 },
            at: 6_000,
          }),
        );
        const snap = await snapshot(store, run.id);
        assert.deepEqual(
          snap.steps.map((s) => [s.seq, s.kind]),
          [
            [1, 'run_started'],
            [2, 'model_turn'],
            [3, 'decision'],
            [4, 'model_turn'],
          ],
        );
        assert.deepEqual(snap.run, {
          ...run,
          seq: 4,
          turns: 1,
          usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 2, costUsd: 0.0123 },
          activeMs: 42,
          status: 'succeeded',
          output: { summary: 'done' },
          finishedAt: 7,
          updatedAt: 6_000,
        });
        assert.deepEqual(snap.toolCalls, [
          { ...call, status: 'succeeded', result: { bytes: 1, list: ['é'] }, finishedAt: 6 },
        ]);
        const audit = await store.listAudit({ runId: run.id });
        assert.deepEqual(
          audit.map((a) => [a.actor, a.action, a.data]),
          [['tester', 'x.did', { ok: true }]],
        );
      });

      it('commits a batch with no steps: the patch applies and seq stays', async () => {
        const run = await create(store);
        await store.commit({
          runId: run.id,
          expectSeq: 1,
          steps: [],
          run: { status: 'cancelled' },
          at: 7_000,
        });
        const after = await store.getRun(run.id);
        assert.equal(after?.seq, 1);
        assert.equal(after?.status, 'cancelled');
        assert.equal(after?.updatedAt, 7_000);
        await assert.rejects(store.commit({ runId: run.id, expectSeq: 0, steps: [], at: 1 }), {
          code: 'STORE_CONFLICT',
          details: { runId: run.id, expectSeq: 0 },
        });
        await store.commit({ runId: run.id, expectSeq: 1, steps: [], at: 8_000 });
        assert.equal((await store.getRun(run.id))?.updatedAt, 8_000);
      });

      it('sets patched fields back to null', async () => {
        const run = await create(store, { leaseOwner: 'w1', leaseUntil: 10, output: { x: 1 } });
        await store.commit(
          batch(run.id, 1, { run: { leaseOwner: null, leaseUntil: null, output: null, error: null } }),
        );
        const after = await store.getRun(run.id);
        assert.deepEqual(
          [after?.leaseOwner, after?.leaseUntil, after?.output, after?.error],
          [null, null, null, null],
        );
      });

      it('rejects a commit from a stale seq with STORE_CONFLICT and writes nothing from it', async () => {
        const run = await create(store);
        const approval = newApproval(run.id);
        const escalation = newEscalation(run.id);
        const call = newCall(run.id, 2, 0);
        await store.commit(
          batch(run.id, 1, {
            toolCalls: [call],
            approvals: [{ record: approval }],
            escalations: [{ record: escalation }],
          }),
        );
        const before = await snapshot(store, run.id);
        const stale = batch(run.id, 1, {
          steps: [step(run.id, 2, 'decision', { stale: true }), step(run.id, 3, 'decision')],
          run: { status: 'failed', turns: 9, output: { stale: true } },
          toolCalls: [{ ...call, status: 'succeeded', result: 'stale' }, newCall(run.id, 2, 5)],
          approvals: [
            { record: { ...approval, status: 'approved', decidedBy: 'stale' }, expectStatus: 'pending' },
            { record: newApproval(run.id) },
          ],
          escalations: [
            { record: { ...escalation, status: 'answered', answer: 'stale' }, expectStatus: 'pending' },
            { record: newEscalation(run.id) },
          ],
          audit: [{ at: 1, actor: 'stale', action: 'stale', runId: run.id, target: null, data: {} }],
          at: 9_999,
        });
        await assert.rejects(store.commit(stale), {
          code: 'STORE_CONFLICT',
          message: `run ${run.id} is not at seq 1 (another worker advanced it, or it does not exist); nothing from this batch was written`,
          details: { runId: run.id, expectSeq: 1 },
        });
        assert.deepEqual(await snapshot(store, run.id), before);
        assert.deepEqual(await store.listAudit({ runId: run.id }), []);
        assert.equal((await store.getApproval(approval.id))?.status, 'pending');
        assert.equal((await store.getEscalation(escalation.id))?.status, 'pending');
      });

      it('rejects a commit to a run that does not exist with STORE_CONFLICT', async () => {
        await assert.rejects(store.commit(batch('run_missing', 0)), {
          code: 'STORE_CONFLICT',
          details: { runId: 'run_missing', expectSeq: 0 },
        });
        assert.equal(await store.loadRun('run_missing'), undefined);
      });

      it('rejects a malformed batch with INTERNAL and writes nothing: steps that skip or repeat a seq, records of another run', async () => {
        const run = await create(store);
        const other = await create(store);
        const foreignApproval = newApproval(other.id);
        const foreignEscalation = newEscalation(other.id);
        const malformed: [CommitBatch, Record<string, unknown>][] = [
          [
            batch(run.id, 1, { steps: [step(run.id, 3)] }),
            { runId: run.id, step: 0, seq: 3, stepRunId: run.id, expectedSeq: 2 },
          ],
          [
            batch(run.id, 1, { steps: [step(run.id, 2), step(run.id, 2)] }),
            { runId: run.id, step: 1, seq: 2, stepRunId: run.id, expectedSeq: 3 },
          ],
          [
            batch(run.id, 1, { steps: [step(other.id, 2)] }),
            { runId: run.id, step: 0, seq: 2, stepRunId: other.id, expectedSeq: 2 },
          ],
          [
            batch(run.id, 1, { toolCalls: [newCall(other.id, 2, 0)] }),
            { runId: run.id, foreignRecord: `${other.id}:2:0` },
          ],
          [
            batch(run.id, 1, { approvals: [{ record: foreignApproval }] }),
            { runId: run.id, foreignRecord: foreignApproval.id },
          ],
          [
            batch(run.id, 1, { escalations: [{ record: foreignEscalation }] }),
            { runId: run.id, foreignRecord: foreignEscalation.id },
          ],
        ];
        for (const [b, details] of malformed) {
          await assert.rejects(store.commit(b), { code: 'INTERNAL', details });
        }
        for (const id of [run.id, other.id]) {
          const snap = await snapshot(store, id);
          assert.equal(snap.run.seq, 1);
          assert.equal(snap.steps.length, 1);
          assert.deepEqual([snap.toolCalls, snap.approvals, snap.escalations], [[], [], []]);
        }
      });

      it('lets exactly one of two concurrent commits at the same seq win', async () => {
        const run = await create(store);
        const results = await Promise.allSettled([
          store.commit(batch(run.id, 1, { steps: [step(run.id, 2, 'decision', { who: 'a' })] })),
          store.commit(batch(run.id, 1, { steps: [step(run.id, 2, 'decision', { who: 'b' })] })),
        ]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
        const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.equal(loser.reason.code, 'STORE_CONFLICT');
        const winner = results[0]!.status === 'fulfilled' ? 'a' : 'b';
        const snap = await snapshot(store, run.id);
        assert.equal(snap.steps.length, 2);
        assert.deepEqual(snap.steps[1]!.data, { who: winner });
      });

      it('keeps concurrent commits to different runs independent: one failing leaves the others written', async () => {
        const runs = await Promise.all(Array.from({ length: 8 }, () => create(store)));
        const results = await Promise.allSettled(
          runs.map((r, i) => store.commit(batch(r.id, i === 3 ? 0 : 1, { run: { turns: i } }))),
        );
        assert.deepEqual(
          results.map((r) => r.status),
          runs.map((_, i) => (i === 3 ? 'rejected' : 'fulfilled')),
        );
        for (const [i, r] of runs.entries()) {
          const after = await store.getRun(r.id);
          assert.equal(after?.seq, i === 3 ? 1 : 2);
          assert.equal(after?.turns, i === 3 ? 0 : i);
        }
      });

      it('keeps JSON exactly: NUL characters, odd keys and key order survive a round trip', async () => {
        const run = await create(store);
        const result = {
          zz: 1,
          a: 2,
          '': 3,
          text: 'hello\u0000world',
          nested: { b: [1, { y: 2, x: 1 }], a: '\u2028' },
        };
        await store.commit(
          batch(run.id, 1, {
            toolCalls: [newCall(run.id, 2, 0, { status: 'succeeded', result, args: { path: 'a\u0000b' } })],
          }),
        );
        const snap = await snapshot(store, run.id);
        assert.equal(JSON.stringify(snap.toolCalls[0]!.result), JSON.stringify(result));
        assert.equal(JSON.stringify(snap.toolCalls[0]!.args), JSON.stringify({ path: 'a\u0000b' }));
      });

      it('stores an upserted record exactly as given: what a commit holds is what a reload returns', async () => {
        const run = await create(store);
        const call = newCall(run.id, 2, 0);
        const approval = newApproval(run.id);
        const escalation = newEscalation(run.id);
        await store.commit(
          batch(run.id, 1, {
            toolCalls: [call],
            approvals: [{ record: approval }],
            escalations: [{ record: escalation }],
          }),
        );
        const call2: ToolCallRecord = {
          ...call,
          callId: 'call_other',
          tool: 'fs.read',
          args: { path: 'b.txt' },
          argsHash: 'hash2',
          decision: 'draft',
          reason: 'changed',
          status: 'drafted',
          approvalId: approval.id,
        };
        const approval2: ApprovalRecord = {
          ...approval,
          callKeys: [],
          calls: [],
          changeSetHash: 'csh2',
          note: 'n',
        };
        const escalation2: EscalationRecord = {
          ...escalation,
          reason: 'changed',
          context: { other: true },
          callKey: call.key,
        };
        await store.commit(
          batch(run.id, 2, {
            toolCalls: [call2],
            approvals: [{ record: approval2 }],
            escalations: [{ record: escalation2 }],
          }),
        );
        const snap = await snapshot(store, run.id);
        assert.deepEqual(snap.toolCalls, [call2]);
        assert.deepEqual(snap.approvals, [approval2]);
        assert.deepEqual(snap.escalations, [escalation2]);
      });

      it('returns tool calls by step then index, approvals and escalations oldest first', async () => {
        const run = await create(store);
        const calls = [
          newCall(run.id, 3, 1),
          newCall(run.id, 2, 10),
          newCall(run.id, 2, 2),
          newCall(run.id, 3, 0),
        ];
        const approvals = [
          newApproval(run.id, { requestedAt: 30 }),
          newApproval(run.id, { requestedAt: 10 }),
        ];
        const escalations = [
          newEscalation(run.id, { createdAt: 20 }),
          newEscalation(run.id, { createdAt: 5 }),
        ];
        await store.commit(
          batch(run.id, 1, {
            toolCalls: calls,
            approvals: approvals.map((record) => ({ record })),
            escalations: escalations.map((record) => ({ record })),
          }),
        );
        const snap = await snapshot(store, run.id);
        assert.deepEqual(
          snap.toolCalls.map((c) => [c.step, c.index]),
          [
            [2, 2],
            [2, 10],
            [3, 0],
            [3, 1],
          ],
        );
        assert.deepEqual(
          snap.approvals.map((a) => a.requestedAt),
          [10, 30],
        );
        assert.deepEqual(
          snap.escalations.map((e) => e.createdAt),
          [5, 20],
        );
      });
    });

    describe('status preconditions', () => {
      it('decides an approval only while it is pending; a second decision fails and rolls back its whole batch', async () => {
        const run = await create(store);
        const approval = newApproval(run.id);
        const call = newCall(run.id, 2, 0, { status: 'drafted', decision: 'draft', approvalId: approval.id });
        await store.commit(
          batch(run.id, 1, {
            toolCalls: [call],
            approvals: [{ record: approval }],
            run: { status: 'awaiting_approval' },
          }),
        );
        assert.deepEqual(
          (await store.listApprovals({ status: 'pending', runId: run.id })).map((a) => a.id),
          [approval.id],
        );
        const approved: ApprovalRecord = {
          ...approval,
          status: 'approved',
          decidedBy: 'alice',
          decidedAt: 9,
          note: 'ok',
        };
        await store.commit(
          batch(run.id, 2, {
            approvals: [{ record: approved, expectStatus: 'pending' }],
            toolCalls: [{ ...call, status: 'pending' }],
            run: { status: 'running' },
          }),
        );
        assert.deepEqual(await store.getApproval(approval.id), approved);
        const before = await snapshot(store, run.id);

        const again = batch(run.id, 3, {
          steps: [step(run.id, 4, 'approval_decided', { by: 'mallory' }), step(run.id, 5, 'run_resumed')],
          approvals: [
            { record: { ...approved, status: 'rejected', decidedBy: 'mallory' }, expectStatus: 'pending' },
          ],
          toolCalls: [{ ...call, status: 'rejected' }],
          run: { status: 'failed' },
          audit: [
            { at: 1, actor: 'mallory', action: 'approval.rejected', runId: run.id, target: null, data: {} },
          ],
        });
        await assert.rejects(store.commit(again), {
          code: 'APPROVAL_NOT_PENDING',
          message: `approval ${approval.id} is no longer pending (someone decided it first); nothing from this batch was written`,
          details: { approvalId: approval.id, expectStatus: 'pending' },
        });
        assert.deepEqual(await snapshot(store, run.id), before);
        assert.deepEqual(await store.getApproval(approval.id), approved);
        assert.deepEqual(await store.listAudit({ runId: run.id }), []);
        assert.equal((await store.listApprovals({ status: 'pending', runId: run.id })).length, 0);
      });

      it('lets exactly one of two concurrent decisions of one approval win', async () => {
        const run = await create(store);
        const approval = newApproval(run.id);
        await store.commit(batch(run.id, 1, { approvals: [{ record: approval }] }));
        const decide = (by: string) =>
          store.commit(
            batch(run.id, 2, {
              approvals: [
                {
                  record: { ...approval, status: 'approved', decidedBy: by, decidedAt: 1 },
                  expectStatus: 'pending',
                },
              ],
            }),
          );
        const results = await Promise.allSettled([decide('alice'), decide('bob')]);
        assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
        const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
        assert.ok(['STORE_CONFLICT', 'APPROVAL_NOT_PENDING'].includes(loser.reason.code));
        assert.equal((await snapshot(store, run.id)).steps.length, 3);
      });

      it('fails a precondition on an approval that does not exist', async () => {
        const run = await create(store);
        const missing = newApproval(run.id);
        await assert.rejects(
          store.commit(batch(run.id, 1, { approvals: [{ record: missing, expectStatus: 'pending' }] })),
          { code: 'APPROVAL_NOT_PENDING', details: { approvalId: missing.id, expectStatus: 'pending' } },
        );
        assert.equal((await store.getRun(run.id))?.seq, 1);
      });

      it('answers an escalation only while it is pending; a second answer fails and rolls back its whole batch', async () => {
        const run = await create(store);
        const held = newCall(run.id, 2, 0, { status: 'held', decision: 'escalate' });
        const esc = newEscalation(run.id, { callKey: held.key });
        await store.commit(
          batch(run.id, 1, {
            toolCalls: [{ ...held, escalationId: esc.id }],
            escalations: [{ record: esc }],
            run: { status: 'escalated' },
          }),
        );
        assert.deepEqual(
          (await store.listEscalations({ status: 'pending', runId: run.id })).map((e) => e.id),
          [esc.id],
        );
        const answered: EscalationRecord = {
          ...esc,
          status: 'answered',
          answer: 'yes',
          answeredBy: 'bob',
          answeredAt: 10,
          allowCall: true,
        };
        await store.commit(
          batch(run.id, 2, {
            escalations: [{ record: answered, expectStatus: 'pending' }],
            run: { status: 'running' },
          }),
        );
        assert.deepEqual(await store.getEscalation(esc.id), answered);
        const before = await snapshot(store, run.id);
        await assert.rejects(
          store.commit(
            batch(run.id, 3, {
              steps: [step(run.id, 4, 'escalation_answered', { by: 'eve' })],
              escalations: [
                { record: { ...answered, answer: 'no', answeredBy: 'eve' }, expectStatus: 'pending' },
              ],
              toolCalls: [{ ...held, status: 'answered', result: 'no' }],
              run: { status: 'failed', grant: { steps: 100, costUsd: 100, seconds: 100 } },
            }),
          ),
          {
            code: 'ESCALATION_NOT_PENDING',
            message: `escalation ${esc.id} is no longer pending (someone answered it first); nothing from this batch was written`,
            details: { escalationId: esc.id, expectStatus: 'pending' },
          },
        );
        assert.deepEqual(await snapshot(store, run.id), before);
        assert.deepEqual(await store.getEscalation(esc.id), answered);
        assert.equal((await store.listEscalations({ status: 'pending', runId: run.id })).length, 0);
        assert.equal((await store.listEscalations({ runId: run.id })).length, 1);
      });
    });

    describe('listing', () => {
      it('lists runs newest first (ties by id, descending), filtered by role and statuses, limited', async () => {
        const role = nextId('role');
        const a = await create(store, { role, createdAt: 10, status: 'succeeded' });
        const b = await create(store, { role, createdAt: 20, status: 'failed' });
        const c = await create(store, { role, createdAt: 30, status: 'failed' });
        const d1 = await create(store, { role, createdAt: 40, status: 'queued', id: `${nextId('run')}_a` });
        const d2 = await create(store, {
          role,
          createdAt: 40,
          status: 'queued',
          id: `${d1.id.slice(0, -2)}_b`,
        });
        await create(store, { role: `${role}-other`, createdAt: 50, status: 'failed' });
        const ids = async (filter: Parameters<Store['listRuns']>[0]) =>
          (await store.listRuns(filter)).map((r) => r.id);
        assert.deepEqual(await ids({ role }), [d2.id, d1.id, c.id, b.id, a.id]);
        assert.deepEqual(await ids({ role, status: ['failed'] }), [c.id, b.id]);
        assert.deepEqual(await ids({ role, status: ['failed', 'succeeded'] }), [c.id, b.id, a.id]);
        assert.deepEqual(await ids({ role, status: ['failed', 'succeeded'], limit: 2 }), [c.id, b.id]);
        assert.deepEqual(await ids({ role, status: [] }), [d2.id, d1.id, c.id, b.id, a.id]);
        assert.deepEqual(await ids({ role, status: ['cancelled'] }), []);
        assert.deepEqual(await ids({ role: 'nobody' }), []);
        const all = await store.listRuns({ status: ['failed'] });
        assert.ok(all.every((r) => r.status === 'failed'));
        assert.ok(all.some((r) => r.role === `${role}-other`));
        assert.deepEqual(await store.listRuns({ role, limit: 1 }), [d2]);
      });

      it('keeps a child run’s parent, call and cap, and lists a run’s children', async () => {
        const parent = await create(store, {});
        const child = await create(store, {
          parentRunId: parent.id,
          parentCallKey: `${parent.id}:2:0`,
          autonomyCap: 'observe',
        });
        await create(store, {
          parentRunId: `${parent.id}-other`,
          parentCallKey: 'x:1:0',
          autonomyCap: 'full',
        });
        assert.deepEqual(await store.getRun(child.id), child);
        assert.deepEqual(await store.listRuns({ parentRunId: parent.id }), [child]);
        // A run without a parent reads back without the fields.
        assert.equal('parentRunId' in (await store.getRun(parent.id))!, false);
      });

      it('lists at most 100 runs when no limit is given', async () => {
        const role = nextId('role');
        for (let i = 0; i < 101; i++) await create(store, { role, createdAt: i });
        const runs = await store.listRuns({ role });
        assert.equal(runs.length, 100);
        assert.equal(runs[0]!.createdAt, 100);
        assert.ok((await store.listRuns()).length <= 100);
      });

      it('lists approvals and escalations oldest first, filtered by status and run', async () => {
        const r1 = await create(store);
        const r2 = await create(store);
        const a1 = newApproval(r1.id, { requestedAt: 50 });
        const a2 = newApproval(r1.id, { requestedAt: 40, status: 'approved' });
        const a3 = newApproval(r2.id, { requestedAt: 45 });
        const e1 = newEscalation(r1.id, { createdAt: 50 });
        const e2 = newEscalation(r2.id, { createdAt: 40 });
        const e3 = newEscalation(r2.id, { createdAt: 45, status: 'cancelled' });
        await store.commit(
          batch(r1.id, 1, { approvals: [{ record: a1 }, { record: a2 }], escalations: [{ record: e1 }] }),
        );
        await store.commit(
          batch(r2.id, 1, { approvals: [{ record: a3 }], escalations: [{ record: e2 }, { record: e3 }] }),
        );
        const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
        assert.deepEqual(ids(await store.listApprovals({ runId: r1.id })), [a2.id, a1.id]);
        assert.deepEqual(ids(await store.listApprovals({ runId: r1.id, status: 'pending' })), [a1.id]);
        const pending = ids(await store.listApprovals({ status: 'pending' }));
        assert.ok(pending.indexOf(a3.id) < pending.indexOf(a1.id));
        assert.ok(!pending.includes(a2.id));
        const everything = ids(await store.listApprovals());
        assert.ok([a1.id, a2.id, a3.id].every((id) => everything.includes(id)));
        assert.deepEqual(ids(await store.listEscalations({ runId: r2.id })), [e2.id, e3.id]);
        assert.deepEqual(ids(await store.listEscalations({ runId: r2.id, status: 'cancelled' })), [e3.id]);
        const open = ids(await store.listEscalations({ status: 'pending' }));
        assert.ok(open.indexOf(e2.id) < open.indexOf(e1.id));
        assert.ok(!open.includes(e3.id));
        const allEsc = ids(await store.listEscalations());
        assert.ok([e1.id, e2.id, e3.id].every((id) => allEsc.includes(id)));
      });

      it('lists audit events of a run in the order they were written, limited', async () => {
        const run = await create(store);
        const other = await create(store);
        const event = (action: string, runId: string | null) => ({
          at: 1,
          actor: 'tester',
          action,
          runId,
          target: null,
          data: { action },
        });
        await store.commit(batch(run.id, 1, { audit: [event('one', run.id), event('two', run.id)] }));
        await store.commit(
          batch(other.id, 1, { audit: [event('elsewhere', other.id), event('global', null)] }),
        );
        await store.commit(batch(run.id, 2, { audit: [event('three', run.id)] }));
        const listed = await store.listAudit({ runId: run.id });
        assert.deepEqual(
          listed.map((a) => a.action),
          ['one', 'two', 'three'],
        );
        assert.ok(listed[0]!.id < listed[1]!.id && listed[1]!.id < listed[2]!.id);
        assert.deepEqual(
          (await store.listAudit({ runId: run.id, limit: 2 })).map((a) => a.action),
          ['one', 'two'],
        );
        const all = await store.listAudit({ limit: 100_000 });
        assert.ok(all.some((a) => a.action === 'global' && a.runId === null));
        assert.ok(all.every((a, i) => i === 0 || all[i - 1]!.id < a.id));
      });
    });

    describe('leases', () => {
      it('a live lease blocks others, the holder renews, an expired one can be claimed', async () => {
        const run = await create(store);
        assert.equal(await store.claimRun(run.id, 'w1', 1_000, 500), 1);
        assert.equal(await store.claimRun(run.id, 'w2', 1_500, 600), undefined);
        assert.equal((await store.getRun(run.id))?.leaseOwner, 'w1');
        assert.equal(await store.claimRun(run.id, 'w1', 2_000, 600), 2); // taken again: a new epoch
        assert.equal((await store.getRun(run.id))?.leaseUntil, 2_000);
        assert.equal(await store.claimRun(run.id, 'w2', 3_000, 1_999), undefined); // still live
        assert.equal(await store.claimRun(run.id, 'w2', 3_000, 2_001), 3); // expired
        const after = await store.getRun(run.id);
        assert.deepEqual([after?.leaseOwner, after?.leaseUntil, after?.leaseEpoch], ['w2', 3_000, 3]);
        assert.equal(await store.claimRun('run_missing', 'w1', 1, 0), undefined);
      });

      it('steals only from the exact previous owner', async () => {
        const run = await create(store);
        assert.equal(await store.claimRun(run.id, 'w2', 10_000, 0), 1);
        assert.equal(await store.stealRun(run.id, 'w1', 'w3', 4_000), undefined);
        assert.equal((await store.getRun(run.id))?.leaseOwner, 'w2');
        assert.equal(await store.stealRun(run.id, 'w2', 'w3', 4_000), 2);
        const after = await store.getRun(run.id);
        assert.deepEqual([after?.leaseOwner, after?.leaseUntil], ['w3', 4_000]);
        assert.equal(await store.stealRun(run.id, 'w2', 'w4', 5_000), undefined); // w2 no longer holds it
        const free = await create(store);
        assert.equal(await store.stealRun(free.id, 'w1', 'w3', 4_000), undefined); // nobody to steal from
      });

      it("releases only the holder's lease; a released run can be claimed by anyone", async () => {
        // The engine lets go of a run by committing a patch that clears the lease, fenced by that lease.
        const run = await create(store);
        const epoch = (await store.claimRun(run.id, 'w3', 10_000, 0))!;
        const release = { leaseOwner: null, leaseUntil: null };
        await assert.rejects(
          store.commit(batch(run.id, 1, { run: release, lease: { owner: 'w2', epoch } })),
          {
            code: 'STORE_CONFLICT',
            details: { runId: run.id, expectSeq: 1, lease: { owner: 'w2', epoch } },
          },
          'not the holder: no effect',
        );
        assert.equal((await store.getRun(run.id))?.leaseOwner, 'w3');
        await store.commit(batch(run.id, 1, { run: release, lease: { owner: 'w3', epoch } }));
        const released = await store.getRun(run.id);
        assert.deepEqual([released?.leaseOwner, released?.leaseUntil], [null, null]);
        assert.equal(await store.claimRun(run.id, 'w4', 5_000, 0), 2);
      });

      it('renews a lease only while the run is running: not once it was cancelled or paused', async () => {
        const run = await create(store);
        const epoch = (await store.claimRun(run.id, 'w1', 10_000, 0))!;
        assert.equal(await store.renewLease(run.id, { owner: 'w1', epoch }, 20_000), true);
        assert.equal((await store.getRun(run.id))?.leaseUntil, 20_000);
        assert.equal(await store.renewLease(run.id, { owner: 'w2', epoch }, 30_000), false, 'not the holder');
        // Cancelled elsewhere: the status changes and the lease is cleared, as cancelRun commits it.
        await store.commit(
          batch(run.id, 1, { run: { status: 'cancelled', leaseOwner: null, leaseUntil: null } }),
        );
        assert.equal(await store.renewLease(run.id, { owner: 'w1', epoch }, 40_000), false);
        const after = await store.getRun(run.id);
        assert.deepEqual([after?.status, after?.leaseOwner], ['cancelled', null]);
        // claimRun, which takes free leases whatever the status, would have taken it back.
        assert.ok(await store.claimRun(run.id, 'w1', 40_000, 6_000));
      });

      it('renews only the exact acquisition: not after the lease expired and was taken again, even by the same owner', async () => {
        const run = await create(store);
        const first = (await store.claimRun(run.id, 'w1', 1_000, 0))!;
        // Expired, and nobody took it: the holder may still renew (nothing happened in between).
        assert.equal(await store.renewLease(run.id, { owner: 'w1', epoch: first }, 2_000), true);
        const second = (await store.claimRun(run.id, 'w2', 5_000, 3_000))!;
        assert.equal(second, first + 1);
        assert.equal(await store.renewLease(run.id, { owner: 'w1', epoch: first }, 9_000), false);
        // The same owner taking the run again (a new process of one worker id) is a new acquisition too.
        const third = (await store.claimRun(run.id, 'w1', 9_000, 6_000))!;
        assert.equal(third, second + 1);
        assert.equal(await store.renewLease(run.id, { owner: 'w1', epoch: first }, 9_500), false);
        assert.equal(await store.renewLease(run.id, { owner: 'w1', epoch: third }, 9_500), true);
        assert.equal((await store.getRun(run.id))?.leaseUntil, 9_500);
      });

      // Renewals may travel apart from commits (Postgres: their own pool), so one sent before a commit that
      // moved the lease end on can be applied after it: it must not move the end back.
      it('never moves a lease end back, and revives no lease that was released', async () => {
        const run = await create(store);
        const epoch = (await store.claimRun(run.id, 'w1', 10_000, 0))!;
        const lease = { owner: 'w1', epoch };
        await store.commit(batch(run.id, 1, { run: { leaseUntil: 50_000 } }));
        assert.equal(await store.renewLease(run.id, lease, 30_000), true, 'still the holder');
        assert.equal((await store.getRun(run.id))?.leaseUntil, 50_000);
        assert.deepEqual(await store.renewLeases([{ runId: run.id, lease, until: 40_000 }]), [true]);
        assert.equal((await store.getRun(run.id))?.leaseUntil, 50_000);
        assert.deepEqual(await store.renewLeases([{ runId: run.id, lease, until: 60_000 }]), [true]);
        assert.equal((await store.getRun(run.id))?.leaseUntil, 60_000);
        // Released while still running (a driver handing the run back): no renewal takes it again.
        await store.commit(batch(run.id, 2, { run: { leaseOwner: null, leaseUntil: null } }));
        assert.equal(await store.renewLease(run.id, lease, 70_000), false);
        assert.deepEqual(await store.renewLeases([{ runId: run.id, lease, until: 70_000 }]), [false]);
        const after = await store.getRun(run.id);
        assert.deepEqual([after?.leaseOwner, after?.leaseUntil], [null, null]);
      });

      // A driver's commit that moves its lease end on (a call's claim) may have been stamped before a
      // renewal that is applied ahead of it (renewals travel on their own pool): it must not shorten the
      // lease the renewal gave, as a late renewal must not shorten one a commit gave (above).
      it('a fenced commit never moves the lease end back, and still releases the lease', async () => {
        const run = await create(store);
        const epoch = (await store.claimRun(run.id, 'w1', 10_000, 0))!;
        const lease = { owner: 'w1', epoch };
        assert.equal(await store.renewLease(run.id, lease, 50_000), true);
        await store.commit(batch(run.id, 1, { run: { leaseUntil: 40_000 }, lease }));
        assert.equal((await store.getRun(run.id))?.leaseUntil, 50_000, 'the commit shortened the lease');
        await store.commit(batch(run.id, 2, { run: { leaseUntil: 60_000 }, lease }));
        assert.equal((await store.getRun(run.id))?.leaseUntil, 60_000);
        // In a group with another run's commit (Postgres commits concurrent batches as one statement).
        const other = await create(store);
        const otherEpoch = (await store.claimRun(other.id, 'w1', 10_000, 0))!;
        assert.equal(await store.renewLease(run.id, lease, 80_000), true);
        await Promise.all([
          store.commit(batch(run.id, 3, { run: { leaseUntil: 70_000 }, lease })),
          store.commit(
            batch(other.id, 1, { run: { leaseUntil: 20_000 }, lease: { owner: 'w1', epoch: otherEpoch } }),
          ),
        ]);
        assert.equal((await store.getRun(run.id))?.leaseUntil, 80_000);
        assert.equal((await store.getRun(other.id))?.leaseUntil, 20_000);
        // Handing the run back still clears the lease: a null end is written as it is.
        await store.commit(batch(run.id, 4, { run: { leaseOwner: null, leaseUntil: null }, lease }));
        const after = await store.getRun(run.id);
        assert.deepEqual([after?.leaseOwner, after?.leaseUntil], [null, null]);
      });

      // A commit that carries an approval or an escalation has status checks of its own, so it is written
      // in a transaction of its own (Postgres: commitAlone, not the group statement above): it too must
      // not shorten a lease a renewal applied ahead of it extended, fenced or not.
      it('a commit with an approval or an escalation never moves the lease end back either', async () => {
        const run = await create(store);
        const epoch = (await store.claimRun(run.id, 'w1', 10_000, 0))!;
        const lease = { owner: 'w1', epoch };
        const leaseUntil = async () => (await store.getRun(run.id))?.leaseUntil;
        assert.equal(await store.renewLease(run.id, lease, 50_000), true);
        const escalations = () => [{ record: newEscalation(run.id) }];
        await store.commit(
          batch(run.id, 1, { run: { leaseUntil: 40_000 }, lease, escalations: escalations() }),
        );
        assert.equal(await leaseUntil(), 50_000, 'the fenced commit shortened the lease');
        await store.commit(
          batch(run.id, 2, { run: { leaseUntil: 45_000 }, approvals: [{ record: newApproval(run.id) }] }),
        );
        assert.equal(await leaseUntil(), 50_000, 'the unfenced commit shortened the lease');
        await store.commit(
          batch(run.id, 3, { run: { leaseUntil: 60_000 }, lease, escalations: escalations() }),
        );
        assert.equal(await leaseUntil(), 60_000);
        // Pausing for a person releases the lease: a null end is written as it is.
        await store.commit(
          batch(run.id, 4, {
            run: { status: 'escalated', leaseOwner: null, leaseUntil: null },
            lease,
            escalations: escalations(),
          }),
        );
        const after = await store.getRun(run.id);
        assert.deepEqual([after?.status, after?.leaseOwner, after?.leaseUntil], ['escalated', null, null]);
      });

      describe('renewLeases: many renewals in one call', () => {
        it('renews each held lease, and refuses, entry by entry, what renewLease would refuse', async () => {
          const [held, takenOver, otherOwner, finished, cancelled] = await Promise.all(
            [1, 2, 3, 4, 5].map(() => create(store)),
          );
          const epochOf = async (r: RunRecord, owner: string) =>
            (await store.claimRun(r.id, owner, 10_000, 0))!;
          const heldEpoch = await epochOf(held!, 'w1');
          // Expired, then taken again (by the same owner, in a new acquisition): the old epoch is refused.
          const stale = (await store.claimRun(takenOver!.id, 'w1', 1_000, 0))!;
          await store.claimRun(takenOver!.id, 'w1', 20_000, 2_000);
          const otherEpoch = await epochOf(otherOwner!, 'w2');
          const finishedEpoch = await epochOf(finished!, 'w1');
          await store.commit(
            batch(finished!.id, 1, {
              run: {
                status: 'succeeded',
                output: { ok: true },
                finishedAt: 5,
                leaseOwner: null,
                leaseUntil: null,
              },
            }),
          );
          const cancelledEpoch = await epochOf(cancelled!, 'w1');
          await store.commit(
            batch(cancelled!.id, 1, { run: { status: 'cancelled', leaseOwner: null, leaseUntil: null } }),
          );
          const answers = await store.renewLeases([
            { runId: held!.id, lease: { owner: 'w1', epoch: heldEpoch }, until: 30_000 },
            { runId: takenOver!.id, lease: { owner: 'w1', epoch: stale }, until: 30_000 },
            { runId: otherOwner!.id, lease: { owner: 'w1', epoch: otherEpoch }, until: 30_000 },
            { runId: finished!.id, lease: { owner: 'w1', epoch: finishedEpoch }, until: 30_000 },
            { runId: cancelled!.id, lease: { owner: 'w1', epoch: cancelledEpoch }, until: 30_000 },
            { runId: 'run_missing', lease: { owner: 'w1', epoch: 1 }, until: 30_000 },
          ]);
          assert.deepEqual(answers, [true, false, false, false, false, false]);
          assert.equal((await store.getRun(held!.id))?.leaseUntil, 30_000);
          assert.equal(
            (await store.getRun(takenOver!.id))?.leaseUntil,
            20_000,
            'the new acquisition is untouched',
          );
          assert.deepEqual(
            [
              (await store.getRun(otherOwner!.id))?.leaseOwner,
              (await store.getRun(otherOwner!.id))?.leaseUntil,
            ],
            ['w2', 10_000],
          );
          const done = await store.getRun(finished!.id);
          assert.deepEqual([done?.status, done?.leaseOwner, done?.leaseUntil], ['succeeded', null, null]);
        });

        it('answers an empty batch with nothing, touching nothing', async () => {
          assert.deepEqual(await store.renewLeases([]), []);
        });

        it('gives each entry its own until, in the order given', async () => {
          const runs = await Promise.all([1, 2, 3].map(() => create(store)));
          const epochs = await Promise.all(runs.map((r) => store.claimRun(r.id, 'w1', 10_000, 0)));
          const answers = await store.renewLeases(
            [2, 0, 1].map((i) => ({
              runId: runs[i]!.id,
              lease: { owner: 'w1', epoch: epochs[i]! },
              until: 11_000 + i,
            })),
          );
          assert.deepEqual(answers, [true, true, true]);
          for (const [i, r] of runs.entries())
            assert.equal((await store.getRun(r.id))?.leaseUntil, 11_000 + i);
        });

        it('renews 5,000 leases in one call (the batch does not grow with the statement parameters)', async () => {
          const runs: RunRecord[] = [];
          for (let i = 0; i < 5_000; i += 500)
            runs.push(...(await Promise.all(Array.from({ length: 500 }, () => create(store)))));
          const epochs = await Promise.all(runs.map((r) => store.claimRun(r.id, 'w-many', 10_000, 0)));
          // Every tenth entry names a lease this worker does not hold: refused, the others renewed.
          const answers = await store.renewLeases(
            runs.map((r, i) => ({
              runId: r.id,
              lease: { owner: i % 10 === 0 ? 'w-other' : 'w-many', epoch: epochs[i]! },
              until: 50_000,
            })),
          );
          assert.equal(answers.length, 5_000);
          assert.deepEqual(
            answers.flatMap((a, i) => (a === (i % 10 !== 0) ? [] : [i])),
            [],
            'entries answered wrongly',
          );
          const sample = await Promise.all([0, 1, 4_999].map((i) => store.getRun(runs[i]!.id)));
          assert.deepEqual(
            sample.map((r) => r?.leaseUntil),
            [10_000, 50_000, 50_000],
          );
        });
      });

      it('refuses a commit fenced by a lease that was taken over, even while the seq has not moved', async () => {
        const run = await create(store);
        const stale = (await store.claimRun(run.id, 'w1', 1_000, 0))!;
        // w1 freezes; its lease expires; w2 takes the run but has committed nothing yet.
        const fresh = (await store.claimRun(run.id, 'w2', 10_000, 2_000))!;
        const claim = (owner: string, epoch: number) =>
          batch(run.id, 1, {
            steps: [step(run.id, 2, 'tool_started')],
            toolCalls: [newCall(run.id, 2, 0, { status: 'started', startedAt: 5_000 })],
            lease: { owner, epoch },
          });
        await assert.rejects(store.commit(claim('w1', stale)), {
          code: 'STORE_CONFLICT',
          message: `run ${run.id} is not at seq 1 or no longer leased to w1 (epoch ${stale}): another worker took it over or advanced it; nothing from this batch was written`,
          details: { runId: run.id, expectSeq: 1, lease: { owner: 'w1', epoch: stale } },
        });
        // The same owner with a stale epoch is refused too.
        await assert.rejects(store.commit(claim('w2', stale)), {
          code: 'STORE_CONFLICT',
          details: { runId: run.id, expectSeq: 1, lease: { owner: 'w2', epoch: stale } },
        });
        const untouched = await snapshot(store, run.id);
        assert.equal(untouched.run.seq, 1);
        assert.equal(untouched.toolCalls.length, 0, 'nothing of the refused batches was written');
        await store.commit(claim('w2', fresh));
        assert.equal((await snapshot(store, run.id)).toolCalls[0]?.status, 'started');
      });

      it('fences every batch of a commit group by its own lease (one run refused, the others written)', async () => {
        const runs = await Promise.all([create(store), create(store), create(store)]);
        const epochs = await Promise.all(runs.map((r) => store.claimRun(r.id, 'w1', 1_000, 0)));
        await store.claimRun(runs[1]!.id, 'w2', 10_000, 2_000);
        const results = await Promise.allSettled(
          runs.map((r, i) => store.commit(batch(r.id, 1, { lease: { owner: 'w1', epoch: epochs[i]! } }))),
        );
        assert.deepEqual(
          results.map((r) => r.status),
          ['fulfilled', 'rejected', 'fulfilled'],
        );
        assert.equal((await store.getRun(runs[1]!.id))?.seq, 1);
      });

      it('raises the epoch on every claim from the queue, including a takeover of a dead worker', async () => {
        const role = nextId('epochrole');
        const run = await create(store, { role, status: 'queued' });
        const first = await claimOne(store, 'w1', 1_000, 0, [role]);
        assert.equal(first?.id, run.id);
        assert.equal(first?.leaseEpoch, 1);
        const taken = await claimOne(store, 'w2', 9_000, 2_000, [role]);
        assert.equal(taken?.leaseEpoch, 2);
        assert.equal((await store.getRun(run.id))?.leaseEpoch, 2);
      });

      it('lets exactly one of several concurrent claimants take a free run', async () => {
        const run = await create(store);
        const results = await Promise.all(
          ['a', 'b', 'c', 'd'].map((w) => store.claimRun(run.id, w, 10_000, 0)),
        );
        assert.equal(results.filter((r) => r !== undefined).length, 1);
      });
    });

    describe("counting a run's steps", () => {
      it('counts the steps of kinds not excepted, without the log, and undefined for no run', async () => {
        const run = await create(store);
        const kinds = ['run_resumed', 'model_turn', 'decision', 'tool_finished', 'model_turn'] as const;
        for (const [i, kind] of kinds.entries()) {
          await store.commit(batch(run.id, i + 1, { steps: [step(run.id, i + 2, kind)] }));
        }
        const repeatable = ['run_resumed', 'model_turn', 'decision', 'tool_started'];
        // run_started and tool_finished: what engine/busy-progress.ts counts from the whole log.
        assert.equal(await store.countRunSteps(run.id, repeatable), 2);
        // The worker's read counts what the whole log's settledSteps counted.
        assert.equal(
          await settledStepsOf(store, run.id),
          settledSteps((await snapshot(store, run.id)).steps),
        );
        assert.equal(await store.countRunSteps(run.id, []), 6);
        assert.equal(await store.countRunSteps(run.id, ['run_started', 'tool_finished']), 4);
        assert.equal(await store.countRunSteps('run_missing', repeatable), undefined);
        // A run of its own is counted alone (another run's steps are not its).
        const other = await create(store);
        assert.equal(await store.countRunSteps(other.id, repeatable), 1);
      });
    });

    describe('counting runs', () => {
      it('counts runs by status in the database, per role or for all, with 0 for statuses it has none of', async () => {
        const role = nextId('countrole');
        for (const status of ['queued', 'queued', 'running', 'failed', 'succeeded'] as const) {
          await create(store, { role, status });
        }
        await create(store, { role: nextId('otherrole'), status: 'queued' });
        assert.deepEqual(await store.countRuns(['queued', 'running', 'failed', 'cancelled'], role), {
          queued: 2,
          running: 1,
          failed: 1,
          cancelled: 0,
        });
        const all = await store.countRuns(['queued']);
        assert.ok(all.queued! >= 3, `all roles: ${all.queued}`);
        assert.deepEqual(await store.countRuns([], role), {});
      });
    });

    describe('event subscriptions', () => {
      it('upserts by event, role and version, and lists those renewed since a time', async () => {
        const ev = nextId('ev');
        const mine = (list: SubscriptionRecord[]) => list.filter((x) => x.event.startsWith(ev));
        await store.putSubscriptions([
          { event: `${ev}.a`, role: 'role-one', roleVersion: 'v1', seenAt: 1_000 },
          { event: `${ev}.a`, role: 'role-two', roleVersion: 'v1', seenAt: 2_000 },
          { event: `${ev}.b`, role: 'role-one', roleVersion: 'v1', seenAt: 3_000 },
        ]);
        assert.deepEqual(mine(await store.listSubscriptions(1_500)), [
          { event: `${ev}.a`, role: 'role-two', roleVersion: 'v1', seenAt: 2_000 },
          { event: `${ev}.b`, role: 'role-one', roleVersion: 'v1', seenAt: 3_000 },
        ]);
        // Renewed: the same row, seen later. A worker serving a newer version adds its own row.
        await store.putSubscriptions([
          { event: `${ev}.a`, role: 'role-one', roleVersion: 'v1', seenAt: 4_000 },
          { event: `${ev}.a`, role: 'role-one', roleVersion: 'v2', seenAt: 4_500 },
        ]);
        assert.deepEqual(mine(await store.listSubscriptions(3_500)), [
          { event: `${ev}.a`, role: 'role-one', roleVersion: 'v1', seenAt: 4_000 },
          { event: `${ev}.a`, role: 'role-one', roleVersion: 'v2', seenAt: 4_500 },
        ]);
        assert.equal(mine(await store.listSubscriptions(0)).length, 4);
        await store.putSubscriptions([]);
      });
    });

    describe('model cost of a role', () => {
      it("sums the role's model turns at or after a time, across its runs, and nothing else", async () => {
        const role = nextId('costrole');
        const turn = (runId: string, seq: number, at: number, costUsd?: number): StepRecord => ({
          runId,
          seq,
          kind: 'model_turn',
          at,
          data: costUsd === undefined ? { text: 'no usage recorded' } : { usage: { costUsd } },
        });
        // Started before `since`, with one turn before and one after it.
        const a = await create(store, { role, createdAt: 100, updatedAt: 100 });
        await store.commit({
          runId: a.id,
          expectSeq: 1,
          steps: [
            turn(a.id, 2, 4_000, 1),
            turn(a.id, 3, 6_000, 0.25),
            { runId: a.id, seq: 4, kind: 'tool_finished', at: 6_500, data: { usage: { costUsd: 9 } } },
            turn(a.id, 5, 6_600),
          ],
          at: 6_600,
        });
        const b = await create(store, { role, createdAt: 6_900, updatedAt: 6_900 });
        await store.commit({ runId: b.id, expectSeq: 1, steps: [turn(b.id, 2, 7_000, 0.5)], at: 7_000 });
        const other = await create(store, { role: nextId('costrole'), createdAt: 6_900, updatedAt: 6_900 });
        await store.commit({
          runId: other.id,
          expectSeq: 1,
          steps: [turn(other.id, 2, 7_000, 100)],
          at: 7_000,
        });
        assert.equal(await store.roleCostSince(role, 5_000), 0.75);
        assert.equal(await store.roleCostSince(role, 6_000), 0.75);
        assert.equal(await store.roleCostSince(role, 0), 1.75);
        assert.equal(await store.roleCostSince(role, 7_001), 0);
        assert.equal(await store.roleCostSince(nextId('nobody'), 0), 0);
      });
    });

    describe('queue and webhook signatures', () => {
      it('hands out queued runs and runs whose worker died, oldest first, each once', async () => {
        const role = nextId('qrole');
        const dead = await create(store, {
          role,
          status: 'running',
          leaseOwner: 'dead-worker',
          leaseUntil: 100,
          createdAt: 5,
        });
        const a = await create(store, { role, status: 'queued', createdAt: 10 });
        const b = await create(store, { role, status: 'queued', createdAt: 20 });
        await create(store, {
          role,
          status: 'running',
          leaseOwner: 'live-worker',
          leaseUntil: 10_000,
          createdAt: 1,
        });
        await create(store, { role, status: 'succeeded', createdAt: 2 });
        await create(store, { role: `${role}-other`, status: 'queued', createdAt: 3 });
        const got: string[] = [];
        for (let i = 0; i < 4; i++) {
          const r = await claimOne(store, 'w1', 5_000, 1_000, [role]);
          if (r) {
            assert.equal(r.leaseOwner, 'w1');
            assert.equal(r.leaseUntil, 5_000);
            got.push(r.id);
          }
        }
        assert.deepEqual(got, [dead.id, a.id, b.id]);
        assert.equal(await claimOne(store, 'w2', 9_000, 1_000, []), undefined);
      });

      it('never gives the same run to two concurrent claimants', async () => {
        const role = nextId('qrole');
        const ids = new Set<string>();
        for (let i = 0; i < 10; i++)
          ids.add((await create(store, { role, status: 'queued', createdAt: 100 + i })).id);
        const claims = await Promise.all(
          Array.from({ length: 20 }, (_, i) => claimOne(store, `w${i}`, 5_000, 1_000, [role])),
        );
        const claimed = claims.filter((c) => c !== undefined).map((c) => c!.id);
        assert.equal(claimed.length, 10);
        assert.deepEqual(new Set(claimed), ids);
      });

      it('counts a takeover of a running run as an attempt, and holds retries until notBefore', async () => {
        const role = nextId('qrole');
        const dead = await create(store, {
          role,
          status: 'running',
          leaseOwner: 'dead-worker',
          leaseUntil: 100,
          createdAt: 5,
        });
        const later = await create(store, {
          role,
          status: 'queued',
          attempt: 2,
          notBefore: 8_000,
          createdAt: 1,
        });
        const taken = await claimOne(store, 'w1', 5_000, 1_000, [role]);
        assert.equal(taken?.id, dead.id);
        assert.equal(taken?.attempt, 2);
        // The retry (created first) is not due before 8000.
        assert.equal(await claimOne(store, 'w1', 5_000, 1_000, [role]), undefined);
        const due = await claimOne(store, 'w1', 9_000, 8_000, [role]);
        assert.equal(due?.id, later.id);
        assert.equal(due?.attempt, 2, 'claiming a queued run is not a takeover');
      });

      it('hands out several runs in one claim, oldest first, within per-role limits', async () => {
        const role = nextId('brole');
        const capped = nextId('crole');
        const ids: string[] = [];
        for (let i = 0; i < 5; i++)
          ids.push((await create(store, { role, status: 'queued', createdAt: 50 + i })).id);
        for (let i = 0; i < 4; i++)
          await create(store, { role: capped, status: 'queued', createdAt: 10 + i });
        const snapshots = await store.claimNextRuns('w1', 5_000, 1_000, [role, capped], { [capped]: 1 }, 4);
        // Each claimed run comes with its records, as loadRun would return them after the claim.
        for (const snap of snapshots) assert.deepEqual(snap, await store.loadRun(snap.run.id));
        assert.ok(snapshots.every((x) => x.steps.length === 1 && x.steps[0]!.kind === 'run_started'));
        const batch = snapshots.map((x) => x.run);
        assert.equal(batch.length, 4);
        assert.equal(batch[0]!.role, capped, 'the oldest first');
        assert.equal(batch.filter((r) => r.role === capped).length, 1, 'the capped role gets one');
        assert.deepEqual(
          batch.filter((r) => r.role === role).map((r) => r.id),
          ids.slice(0, 3),
          'the runs behind the capped ones are not starved',
        );
        assert.ok(batch.every((r) => r.status === 'running' && r.leaseOwner === 'w1'));
        const rest = await store.claimNextRuns('w2', 5_000, 1_000, [role, capped], { [capped]: 1 }, 10);
        assert.deepEqual(
          rest.map((r) => r.run.id),
          ids.slice(3),
        );
      });

      it('gives a role no more live runs than its limit, across claimants', async () => {
        const role = nextId('lrole');
        const free = nextId('frole');
        for (let i = 0; i < 6; i++) await create(store, { role, status: 'queued', createdAt: 10 + i });
        for (let i = 0; i < 3; i++) await create(store, { role: free, status: 'queued', createdAt: 20 + i });
        const claims = await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            claimOne(store, `w${i}`, 5_000, 1_000, [role, free], { [role]: 2 }),
          ),
        );
        const got = claims.filter((c) => c !== undefined);
        assert.equal(got.filter((c) => c!.role === role).length, 2);
        assert.equal(got.filter((c) => c!.role === free).length, 3);
        // Once a lease expires, its slot is free again.
        const more = await claimOne(store, 'w99', 9_000, 6_000, [role], { [role]: 2 });
        assert.equal(more?.role, role);
      });

      it('claimRun with a limit leases only while fewer runs of the role hold a live lease', async () => {
        const role = nextId('climit');
        const live = await create(store, { role, status: 'running', leaseOwner: 'w0', leaseUntil: 5_000 });
        const waiting = await create(store, { role, status: 'queued' });
        assert.equal(
          await store.claimRun(waiting.id, 'w1', 6_000, 1_000, 1),
          undefined,
          'the one place is taken',
        );
        assert.equal((await store.getRun(waiting.id))?.leaseOwner, null);
        assert.equal(await store.claimRun(waiting.id, 'w1', 6_000, 1_000, 2), 1, 'two places: one left');
        // Its own lease is not counted against it; once the other's lease expires, limit 1 takes it too.
        assert.equal(await store.claimRun(waiting.id, 'w1', 9_000, 5_001, 1), 2);
        assert.equal(
          await store.claimRun(live.id, 'w2', 9_000, 5_001, 1),
          undefined,
          'the waiting run holds it now',
        );
      });

      it('leaves a child of a queued or running parent to that parent, and hands out one whose parent is paused', async () => {
        const role = nextId('crole');
        const parent = await create(store, {
          role: `${role}-p`,
          status: 'running',
          leaseOwner: 'w0',
          leaseUntil: 100,
        });
        const child = await create(store, {
          role,
          status: 'queued',
          parentRunId: parent.id,
          parentCallKey: 'k',
        });
        const orphan = await create(store, {
          role,
          status: 'running',
          leaseOwner: 'dead',
          leaseUntil: 100,
          parentRunId: parent.id,
          parentCallKey: 'k2',
        });
        assert.equal(await claimOne(store, 'w1', 5_000, 1_000, [role]), undefined, 'the parent drives them');
        await store.commit({
          runId: parent.id,
          expectSeq: 1,
          steps: [step(parent.id, 2)],
          run: { status: 'escalated', leaseOwner: null, leaseUntil: null },
          at: 1_000,
        });
        const got = await store.claimNextRuns('w1', 5_000, 1_000, [role], {}, 5);
        assert.deepEqual(got.map((x) => x.run.id).sort(), [child.id, orphan.id].sort());
      });

      it('never claims a run the claiming process drives, however expired its lease looks, limited or not', async () => {
        // A worker whose wall clock was stepped forward sees the lease ends it wrote before as long past:
        // re-claiming its own live run would fence out its own driver mid-call (faults/clock-jump).
        for (const limits of [{}, { limited: 5 }]) {
          const role = Object.keys(limits).length > 0 ? nextId('limited') : nextId('drole');
          const lim = Object.keys(limits).length > 0 ? { [role]: 5 } : {};
          const driven = await create(store, {
            role,
            status: 'running',
            leaseOwner: 'w1',
            leaseUntil: 2_000,
            createdAt: 10,
          });
          const other = await create(store, { role, status: 'queued', createdAt: 20 });
          const got = await store.claimNextRuns(
            'w1',
            9_000_000,
            3_602_000,
            [role],
            lim,
            5,
            new Set([driven.id]),
          );
          assert.deepEqual(
            got.map((x) => x.run.id),
            [other.id],
          );
          assert.equal((await store.getRun(driven.id))?.leaseEpoch, driven.leaseEpoch, 'its lease untouched');
          // Without the set (another process), the expired lease is taken as before.
          const taken = await store.claimNextRuns('w2', 9_000_000, 3_602_000, [role], lim, 5);
          assert.deepEqual(
            taken.map((x) => x.run.id),
            [driven.id],
          );
        }
      });

      it('counts a run the claiming process drives as live against its role concurrency, however expired its lease looks', async () => {
        const role = nextId('limited');
        const driven = await create(store, {
          role,
          status: 'running',
          leaseOwner: 'w1',
          leaseUntil: 2_000,
          createdAt: 10,
        });
        const other = await create(store, { role, status: 'queued', createdAt: 20 });
        const claim = (limit: number) =>
          store.claimNextRuns('w1', 9_000_000, 3_602_000, [role], { [role]: limit }, 5, new Set([driven.id]));
        assert.deepEqual(await claim(1), [], 'the one place is the driven run');
        assert.deepEqual(
          (await claim(2)).map((x) => x.run.id),
          [other.id],
        );
      });

      it('leases a continuous agent to one owner, renews it, and lets another take it over once expired', async () => {
        const role = nextId('agent');
        const a = await store.claimAgent(role, 'w1', 2_000, 1_000);
        assert.equal(a?.owner, 'w1');
        assert.equal(a?.status, 'idle');
        assert.equal(a?.takenOver, false);
        assert.equal(await store.claimAgent(role, 'w2', 2_500, 1_500), undefined);
        assert.deepEqual(await store.heartbeatAgents('w1', [role], 3_000, 1_900), [role]);
        assert.equal(await store.claimAgent(role, 'w2', 3_500, 2_500), undefined, 'renewed until 3000');
        assert.ok(
          await store.saveAgent(
            { ...a!, status: 'working', context: { n: 1, note: AWKWARD }, updatedAt: 2_000 },
            'w1',
          ),
        );
        const b = await store.claimAgent(role, 'w2', 9_000, 3_001);
        assert.equal(b?.owner, 'w2');
        assert.equal(b?.takenOver, true);
        assert.equal(b?.takeovers, 1);
        assert.deepEqual(b?.context, { n: 1, note: AWKWARD }, 'the context survives the takeover');
        // The old holder is fenced out.
        assert.equal(await store.saveAgent({ ...a!, status: 'idle' }, 'w1'), false);
        assert.deepEqual(await store.heartbeatAgents('w1', [role], 10_000, 3_002), []);
        await store.releaseAgent(role, 'w2');
        assert.equal((await store.getAgent(role))?.owner, null);
        assert.ok((await store.listAgents()).some((x) => x.role === role));
      });

      // Heartbeats are sent on a timer without waiting for the last one (on Postgres, on the renewals'
      // pool): on a slow database an older one can be applied after a newer one.
      it('never moves an agent lease end or its heartbeat back when an older heartbeat lands late', async () => {
        const role = nextId('agent');
        await store.claimAgent(role, 'w1', 2_000, 1_000);
        assert.deepEqual(await store.heartbeatAgents('w1', [role], 5_000, 2_000), [role]);
        assert.deepEqual(await store.heartbeatAgents('w1', [role], 4_000, 1_500), [role], 'still the holder');
        const a = await store.getAgent(role);
        assert.deepEqual([a?.leaseUntil, a?.heartbeatAt], [5_000, 2_000]);
        // A taken-over agent is still not renewed for its old holder, late heartbeat or not.
        await store.claimAgent(role, 'w2', 9_000, 6_000);
        assert.deepEqual(await store.heartbeatAgents('w1', [role], 10_000, 6_500), []);
        assert.equal((await store.getAgent(role))?.leaseUntil, 9_000);
      });

      it('follows a heartbeat more than a lease length behind the stored one (a clock stepped forward, then back)', async () => {
        const role = nextId('agent');
        await store.claimAgent(role, 'w1', 2_000, 1_000);
        // Sent while the clock was an hour ahead:
        await store.heartbeatAgents('w1', [role], 3_602_000, 3_600_000);
        // The clock back: a lease of 2 s from 5 s, not one that ends an hour from now.
        assert.deepEqual(await store.heartbeatAgents('w1', [role], 7_000, 5_000), [role]);
        const a = await store.getAgent(role);
        assert.deepEqual([a?.leaseUntil, a?.heartbeatAt], [7_000, 5_000]);
      });

      it('keeps an inbox in order, once per idempotency key, and finishes an item with the agent state', async () => {
        const role = nextId('agent');
        const item = (id: string, key: string | null, at: number) => ({
          id,
          role,
          event: 'ticket.created',
          payload: { id, note: AWKWARD },
          idempotencyKey: key,
          createdAt: at,
          handledAt: null,
          runId: null,
        });
        const k = nextId('key');
        const first = await store.pushInbox(item(nextId('evt'), k, 10));
        assert.equal(first.created, true);
        const again = await store.pushInbox(item(nextId('evt'), k, 11));
        assert.equal(again.created, false);
        assert.equal(again.item.id, first.item.id);
        const second = await store.pushInbox(item(nextId('evt'), null, 20));
        assert.equal(await store.inboxDepth(role), 2);
        assert.deepEqual(await store.rolesWithInbox([role, nextId('quiet')]), [role]);
        assert.deepEqual((await store.inboxHead(role))?.payload, first.item.payload);
        const agent = (await store.claimAgent(role, 'w1', 5_000, 1_000))!;
        assert.equal(
          await store.finishInboxItem(first.item.id, 'run_x', { ...agent, context: { seen: 1 } }, 'w2', 30),
          false,
        );
        assert.equal(await store.inboxDepth(role), 2, 'a non-holder finishes nothing');
        assert.ok(
          await store.finishInboxItem(first.item.id, 'run_x', { ...agent, context: { seen: 1 } }, 'w1', 30),
        );
        assert.equal((await store.inboxHead(role))?.id, second.item.id);
        assert.deepEqual((await store.getAgent(role))?.context, { seen: 1 });
        assert.ok(await store.finishInboxItem(second.item.id, 'run_y', agent, 'w1', 31));
        assert.deepEqual(await store.rolesWithInbox([role]), []);
      });

      it('remembers webhook signatures to refuse replays, and forgets old ones', async () => {
        const sig = nextId('sig');
        assert.equal(await store.rememberSignature(sig, 1_000, 0), true);
        assert.equal(await store.rememberSignature(sig, 1_500, 0), false);
        assert.equal(await store.rememberSignature(sig, 9_000, 5_000), true);
        // Forgotten (its delivery failed on our side): the same signature is new again; another stays seen.
        const other = nextId('sig');
        assert.equal(await store.rememberSignature(other, 9_000, 0), true);
        await store.forgetSignature(sig);
        assert.equal(await store.rememberSignature(sig, 9_100, 0), true);
        assert.equal(await store.rememberSignature(other, 9_100, 0), false);
      });

      it('finds what a delivery recorded under its key: a run, an inbox item, or nothing', async () => {
        const runKey = nextId('key');
        const run = await create(store, { idempotencyKey: runKey });
        assert.deepEqual(await store.recordedUnder(runKey), { runId: run.id });
        const itemKey = nextId('key');
        const item = {
          id: nextId('evt'),
          role: nextId('agent'),
          event: 'webhook',
          payload: { note: AWKWARD },
          idempotencyKey: itemKey,
          createdAt: 10,
          handledAt: null,
          runId: null,
        };
        await store.pushInbox(item);
        assert.deepEqual(await store.recordedUnder(itemKey), { inboxId: item.id });
        assert.equal(await store.recordedUnder(nextId('key')), undefined);
        // A key is matched whole: one that only starts like a recorded one finds nothing.
        assert.equal(await store.recordedUnder(runKey.slice(0, -1)), undefined);
      });
    });

    it('keeps everything across a reopen', async (t) => {
      if (!fx.reopen) {
        t.skip('this fixture cannot reopen');
        return;
      }
      const run = await create(store, { idempotencyKey: nextId('key') });
      const approval = newApproval(run.id);
      const escalation = newEscalation(run.id);
      await store.commit(
        batch(run.id, 1, {
          toolCalls: [newCall(run.id, 2, 0, { args: { text: AWKWARD } })],
          approvals: [{ record: approval }],
          escalations: [{ record: escalation }],
          audit: [{ at: 1, actor: 'a', action: 'persisted', runId: run.id, target: null, data: { x: 1 } }],
          run: { turns: 3, output: { text: AWKWARD } },
        }),
      );
      const role = { name: nextId('role'), version: 'v', spec: { s: AWKWARD }, createdAt: 1 };
      await store.putRoleVersion(role);
      const before = await snapshot(store, run.id);
      store = await fx.reopen();
      await store.init();
      assert.deepEqual(await snapshot(store, run.id), before);
      assert.deepEqual(await store.getRoleVersion(role.name, 'v'), role);
      assert.deepEqual(
        (await store.listAudit({ runId: run.id })).map((a) => a.action),
        ['persisted'],
      );
      // The fence and the idempotency key survive too.
      await assert.rejects(store.commit(batch(run.id, 1)), {
        code: 'STORE_CONFLICT',
        details: { runId: run.id, expectSeq: 1 },
      });
      await store.commit(batch(run.id, 2));
      const dup = newRun({ idempotencyKey: run.idempotencyKey });
      const res = await store.createRun(dup, { steps: [step(dup.id, 1, 'run_started')], at: 1 });
      assert.deepEqual([res.created, res.run.id], [false, run.id]);
    });
  });
}
