// The Store contract: every implementation (embedded SQLite now, Postgres later) runs this suite.
// It assumes nothing about the backend beyond the Store interface.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type {
  ApprovalRecord,
  CommitBatch,
  EscalationRecord,
  RunRecord,
  StepRecord,
  Store,
  ToolCallRecord,
} from '../../src/store/types.js';

export interface StoreFixture {
  store: Store;
  /** Closes and opens the same database again (persistence check). */
  reopen?: () => Promise<Store>;
  cleanup: () => Promise<void>;
}

let counter = 0;
const nextId = (p: string) => `${p}_${Date.now().toString(36)}${(counter++).toString(36).padStart(4, '0')}`;

export function newRun(over: Partial<RunRecord> = {}): RunRecord {
  const id = over.id ?? nextId('run');
  return {
    id,
    role: 'contract-role',
    roleVersion: 'v1',
    model: 'script:/x.yaml',
    status: 'running',
    input: { ticket: 'T-1', note: 'ünïcødé ✓', nested: { list: [1, 'two', null, { deep: true }] } },
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
    createdAt: 1_000 + counter,
    updatedAt: 1_000 + counter,
    finishedAt: null,
    ...over,
  };
}

const step = (
  runId: string,
  seq: number,
  kind: StepRecord['kind'] = 'model_turn',
  data: Record<string, unknown> = { seq },
): StepRecord => ({
  runId,
  seq,
  kind,
  at: 2_000 + seq,
  data,
});

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

    it('creates a run and reads it back exactly, with its first steps', async () => {
      const run = await create(store);
      assert.deepEqual(await store.getRun(run.id), run);
      const snap = (await store.loadRun(run.id))!;
      assert.deepEqual(snap.run, run);
      assert.equal(snap.steps.length, 1);
      assert.deepEqual(snap.steps[0]!.data, { input: run.input });
      assert.equal(await store.getRun('run_missing'), undefined);
      assert.equal(await store.loadRun('run_missing'), undefined);
    });

    it('returns the existing run for a repeated idempotency key and writes nothing', async () => {
      const key = nextId('key');
      const first = await create(store, { idempotencyKey: key });
      const second = newRun({ idempotencyKey: key });
      const res = await store.createRun(second, { steps: [step(second.id, 1, 'run_started')], at: 1 });
      assert.equal(res.created, false);
      assert.equal(res.run.id, first.id);
      assert.equal(await store.getRun(second.id), undefined);
    });

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
        }),
      );
      const snap = (await store.loadRun(run.id))!;
      assert.deepEqual(
        snap.steps.map((s) => s.seq),
        [1, 2, 3, 4],
      );
      assert.equal(snap.run.seq, 4);
      assert.equal(snap.run.turns, 1);
      assert.equal(snap.run.status, 'succeeded');
      assert.deepEqual(snap.run.output, { summary: 'done' });
      assert.deepEqual(snap.run.usage, {
        inputTokens: 10,
        outputTokens: 5,
        cachedInputTokens: 2,
        costUsd: 0.0123,
      });
      assert.equal(snap.run.activeMs, 42);
      assert.equal(snap.run.updatedAt, 5_000);
      assert.deepEqual(snap.toolCalls, [
        { ...call, status: 'succeeded', result: { bytes: 1, list: ['é'] }, finishedAt: 6 },
      ]);
      const audit = await store.listAudit({ runId: run.id });
      assert.deepEqual(
        audit.map((a) => [a.actor, a.action, a.data]),
        [['tester', 'x.did', { ok: true }]],
      );
    });

    it('rejects a commit from a stale seq and writes nothing from it', async () => {
      const run = await create(store);
      await store.commit(batch(run.id, 1));
      const stale = batch(run.id, 1, {
        steps: [step(run.id, 2, 'decision', { stale: true })],
        run: { status: 'failed' },
        toolCalls: [newCall(run.id, 2, 5)],
        approvals: [{ record: newApproval(run.id) }],
        escalations: [{ record: newEscalation(run.id) }],
      });
      await assert.rejects(store.commit(stale), { code: 'STORE_CONFLICT' });
      const snap = (await store.loadRun(run.id))!;
      assert.equal(snap.run.seq, 2);
      assert.equal(snap.run.status, 'running');
      assert.equal(snap.steps.length, 2);
      assert.deepEqual(snap.steps[1]!.data, { seq: 2 });
      assert.equal(snap.toolCalls.length, 0);
      assert.equal(snap.approvals.length, 0);
      assert.equal(snap.escalations.length, 0);
    });

    it('rejects steps that do not continue the run', async () => {
      const run = await create(store);
      await assert.rejects(store.commit(batch(run.id, 1, { steps: [step(run.id, 3)] })), {
        code: 'STORE_CONFLICT',
      });
      await assert.rejects(store.commit(batch('run_missing', 0)), { code: 'STORE_CONFLICT' });
      assert.equal((await store.getRun(run.id))!.seq, 1);
    });

    it('lets one of two concurrent commits at the same seq win', async () => {
      const run = await create(store);
      const results = await Promise.allSettled([
        store.commit(batch(run.id, 1)),
        store.commit(batch(run.id, 1)),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      assert.equal((await store.loadRun(run.id))!.steps.length, 2);
    });

    it('decides an approval only while it is pending, rolling back the whole batch otherwise', async () => {
      const run = await create(store);
      const approval = newApproval(run.id);
      await store.commit(
        batch(run.id, 1, { approvals: [{ record: approval }], run: { status: 'awaiting_approval' } }),
      );
      assert.deepEqual(
        (await store.listApprovals({ status: 'pending', runId: run.id })).map((a) => a.id),
        [approval.id],
      );
      const approved = {
        ...approval,
        status: 'approved' as const,
        decidedBy: 'alice',
        decidedAt: 9,
        note: 'ok',
      };
      await store.commit(batch(run.id, 2, { approvals: [{ record: approved, expectStatus: 'pending' }] }));
      assert.deepEqual(await store.getApproval(approval.id), approved);
      const again = batch(run.id, 3, {
        approvals: [{ record: { ...approved, decidedBy: 'mallory' }, expectStatus: 'pending' }],
        run: { status: 'running' },
      });
      await assert.rejects(store.commit(again), { code: 'APPROVAL_NOT_PENDING' });
      const snap = (await store.loadRun(run.id))!;
      assert.equal(snap.run.seq, 3);
      assert.equal(snap.run.status, 'awaiting_approval');
      assert.equal(snap.approvals[0]!.decidedBy, 'alice');
      assert.equal((await store.listApprovals({ status: 'pending', runId: run.id })).length, 0);
    });

    it('answers an escalation only while it is pending', async () => {
      const run = await create(store);
      const esc = newEscalation(run.id, { callKey: `${run.id}:2:0` });
      await store.commit(batch(run.id, 1, { escalations: [{ record: esc }] }));
      const answered = {
        ...esc,
        status: 'answered' as const,
        answer: 'yes',
        answeredBy: 'bob',
        answeredAt: 10,
        allowCall: true,
      };
      await store.commit(batch(run.id, 2, { escalations: [{ record: answered, expectStatus: 'pending' }] }));
      assert.deepEqual(await store.getEscalation(esc.id), answered);
      await assert.rejects(
        store.commit(batch(run.id, 3, { escalations: [{ record: answered, expectStatus: 'pending' }] })),
        {
          code: 'ESCALATION_NOT_PENDING',
        },
      );
      assert.equal((await store.getRun(run.id))!.seq, 3);
      assert.equal((await store.listEscalations({ status: 'pending', runId: run.id })).length, 0);
      assert.equal((await store.listEscalations({ runId: run.id })).length, 1);
    });

    it('lists runs newest first, filtered by role and status, limited', async () => {
      const role = nextId('role');
      const a = await create(store, { role, createdAt: 10, status: 'succeeded' });
      const b = await create(store, { role, createdAt: 20, status: 'failed' });
      const c = await create(store, { role, createdAt: 30, status: 'failed' });
      assert.deepEqual(
        (await store.listRuns({ role })).map((r) => r.id),
        [c.id, b.id, a.id],
      );
      assert.deepEqual(
        (await store.listRuns({ role, status: ['failed'] })).map((r) => r.id),
        [c.id, b.id],
      );
      assert.deepEqual(
        (await store.listRuns({ role, status: ['failed', 'succeeded'], limit: 2 })).map((r) => r.id),
        [c.id, b.id],
      );
      assert.deepEqual(await store.listRuns({ role: 'nobody' }), []);
    });

    it('leases: a live lease blocks others, an expired one can be claimed, steal needs the exact holder', async () => {
      const run = await create(store);
      assert.equal(await store.claimRun(run.id, 'w1', 1_000, 500), true);
      assert.equal(await store.claimRun(run.id, 'w2', 1_500, 600), false);
      assert.equal(await store.claimRun(run.id, 'w1', 2_000, 600), true); // renew
      assert.equal(await store.claimRun(run.id, 'w2', 3_000, 2_001), true); // expired
      assert.equal(await store.stealRun(run.id, 'w1', 'w3', 4_000), false);
      assert.equal(await store.stealRun(run.id, 'w2', 'w3', 4_000), true);
      assert.equal((await store.getRun(run.id))!.leaseOwner, 'w3');
      await store.releaseRun(run.id, 'w2'); // not the holder: no effect
      assert.equal((await store.getRun(run.id))!.leaseOwner, 'w3');
      await store.releaseRun(run.id, 'w3');
      const released = (await store.getRun(run.id))!;
      assert.equal(released.leaseOwner, null);
      assert.equal(await store.claimRun(run.id, 'w4', 5_000, 0), true);
    });

    it('stores role versions once', async () => {
      const rec = {
        name: nextId('role'),
        version: 'abc',
        spec: { tools: ['fs.read'], nested: { a: [1] } },
        createdAt: 1,
      };
      await store.putRoleVersion(rec);
      await store.putRoleVersion({ ...rec, spec: { changed: true }, createdAt: 2 });
      assert.deepEqual(await store.getRoleVersion(rec.name, 'abc'), rec);
      assert.equal(await store.getRoleVersion(rec.name, 'zzz'), undefined);
    });

    it('queue: hands out queued runs and runs whose worker died, oldest first, each once', async () => {
      const role = nextId('qrole');
      const dead = await create(store, { role, status: 'running', leaseOwner: 'dead-worker', leaseUntil: 100, createdAt: 5 });
      const a = await create(store, { role, status: 'queued', createdAt: 10 });
      const b = await create(store, { role, status: 'queued', createdAt: 20 });
      await create(store, { role, status: 'running', leaseOwner: 'live-worker', leaseUntil: 10_000, createdAt: 1 });
      await create(store, { role, status: 'succeeded', createdAt: 2 });
      await create(store, { role: `${role}-other`, status: 'queued', createdAt: 3 });
      const got: string[] = [];
      for (let i = 0; i < 4; i++) {
        const r = await store.claimNextRun('w1', 5_000, 1_000, [role]);
        if (r) {
          assert.equal(r.leaseOwner, 'w1');
          assert.equal(r.leaseUntil, 5_000);
          got.push(r.id);
        }
      }
      assert.deepEqual(got, [dead.id, a.id, b.id]);
      assert.equal(await store.claimNextRun('w2', 9_000, 1_000, []), undefined);
    });

    it('queue: concurrent claimants never get the same run', async () => {
      const role = nextId('qrole');
      const ids = new Set<string>();
      for (let i = 0; i < 10; i++) ids.add((await create(store, { role, status: 'queued', createdAt: 100 + i })).id);
      const claims = await Promise.all(Array.from({ length: 20 }, (_, i) => store.claimNextRun(`w${i}`, 5_000, 1_000, [role])));
      const claimed = claims.filter((c) => c !== undefined).map((c) => c!.id);
      assert.equal(claimed.length, 10);
      assert.deepEqual(new Set(claimed), ids);
    });

    it('remembers webhook signatures to refuse replays, and forgets old ones', async () => {
      const sig = nextId('sig');
      assert.equal(await store.rememberSignature(sig, 1_000, 0), true);
      assert.equal(await store.rememberSignature(sig, 1_500, 0), false);
      assert.equal(await store.rememberSignature(sig, 9_000, 5_000), true);
    });

    it('keeps everything across a reopen', async (t) => {
      if (!fx.reopen) {
        t.skip('this fixture cannot reopen');
        return;
      }
      const run = await create(store);
      await store.commit(batch(run.id, 1, { toolCalls: [newCall(run.id, 2, 0)] }));
      store = await fx.reopen();
      await store.init();
      const snap = (await store.loadRun(run.id))!;
      assert.equal(snap.run.seq, 2);
      assert.equal(snap.toolCalls.length, 1);
    });
  });
}
