// `roleRunUnderWayAt`, for both stores: whether a run of a role was queued or running at a past moment
// (the cron catch-up's overlap rule as of its tick, src/store/sql/under-way.ts). A run paused for a person
// at that moment was not, whatever became of it since; a run started long before and still not finished
// is found however many runs of the role came after it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { RunRecord, StepRecord, Store } from '../../src/store/types.js';
import { newApproval, newEscalation, newRun, type StoreFixture } from './store.js';

const T = 100_000;
let n = 0;
const roleName = () => `uw_${Date.now().toString(36)}_${n++}`;

interface Made {
  run: Partial<RunRecord>;
  /** Steps after run_started (seq 2 on), with their times. */
  steps?: { kind: StepRecord['kind']; at: number }[];
  approval?: { requestedAt: number; decidedAt: number | null };
  escalation?: { createdAt: number; answeredAt: number | null };
}

async function make(store: Store, role: string, m: Made): Promise<RunRecord> {
  const run = newRun({ role, ...m.run, seq: 1 + (m.steps?.length ?? 0) });
  const steps: StepRecord[] = [
    { runId: run.id, seq: 1, kind: 'run_started', at: run.createdAt, data: {} },
    ...(m.steps ?? []).map((s, i) => ({ runId: run.id, seq: i + 2, kind: s.kind, at: s.at, data: {} })),
  ];
  const { created } = await store.createRun(run, {
    steps,
    at: run.createdAt,
    ...(m.approval
      ? {
          approvals: [
            {
              record: newApproval(run.id, {
                role,
                ...m.approval,
                status: m.approval.decidedAt === null ? 'pending' : 'approved',
              }),
            },
          ],
        }
      : {}),
    ...(m.escalation
      ? {
          escalations: [
            {
              record: newEscalation(run.id, {
                role,
                ...m.escalation,
                status: m.escalation.answeredAt === null ? 'pending' : 'answered',
              }),
            },
          ],
        }
      : {}),
  });
  assert.equal(created, true);
  return run;
}

export function describeUnderWayContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`${name} store: whether a run of a role was under way at a moment`, () => {
    let store: Store;
    let fixture: StoreFixture;
    before(async () => {
      fixture = await open();
      store = fixture.store;
      await store.init();
    });
    after(async () => {
      await store.close();
      await fixture.cleanup();
    });
    const at = async (made: Made[], recent = 1000) => {
      const role = roleName();
      for (const m of made) await make(store, role, m);
      return store.roleRunUnderWayAt(role, T, recent);
    };

    it('counts a run created before the moment and finished after it, or not finished', async () => {
      assert.equal(
        await at([
          { run: { status: 'succeeded', createdAt: T - 50, finishedAt: T + 50, updatedAt: T + 50 } },
        ]),
        true,
      );
      assert.equal(await at([{ run: { status: 'running', createdAt: T - 50, updatedAt: T - 50 } }]), true);
      assert.equal(await at([{ run: { status: 'queued', createdAt: T - 50, updatedAt: T - 50 } }]), true);
    });

    it('does not count a run finished by the moment, or created at or after it', async () => {
      assert.equal(
        await at([
          { run: { status: 'failed', createdAt: T - 50, finishedAt: T, updatedAt: T } },
          { run: { status: 'running', createdAt: T, updatedAt: T } },
          { run: { status: 'queued', createdAt: T + 1, updatedAt: T + 1 } },
        ]),
        false,
      );
      assert.equal(await at([]), false);
    });

    it('does not count a run paused for a person at the moment, though it went on and finished since', async () => {
      // Approved after the moment, then finished: queued or running before and after, paused across it.
      assert.equal(
        await at([
          {
            run: { status: 'succeeded', createdAt: T - 50, finishedAt: T + 90, updatedAt: T + 90 },
            approval: { requestedAt: T - 40, decidedAt: T + 60 },
          },
          {
            run: { status: 'running', createdAt: T - 50, updatedAt: T + 90 },
            escalation: { createdAt: T - 30, answeredAt: T + 10 },
          },
          // Still paused, and changed since (a tier passed on): paused at the moment all the same.
          {
            run: { status: 'escalated', createdAt: T - 50, updatedAt: T + 90 },
            escalation: { createdAt: T - 30, answeredAt: null },
            steps: [{ kind: 'tier_passed', at: T + 90 }],
          },
          // Escalated from its start (an input rule), answered after the moment.
          {
            run: { status: 'succeeded', createdAt: T - 50, finishedAt: T + 80, updatedAt: T + 80 },
            escalation: { createdAt: T - 50, answeredAt: T + 20 },
          },
        ]),
        false,
      );
    });

    it('counts a run that paused only before or only after the moment', async () => {
      assert.equal(
        await at([
          {
            run: { status: 'awaiting_approval', createdAt: T - 50, updatedAt: T + 10 },
            approval: { requestedAt: T + 10, decidedAt: null },
          },
        ]),
        true,
      );
      assert.equal(
        await at([
          {
            run: { status: 'running', createdAt: T - 50, updatedAt: T - 10 },
            approval: { requestedAt: T - 40, decidedAt: T - 10 },
          },
        ]),
        true,
      );
    });

    it('does not count a run waiting for its child run at the moment; counts it once taken up again', async () => {
      assert.equal(
        await at([
          {
            run: { status: 'succeeded', createdAt: T - 50, finishedAt: T + 50, updatedAt: T + 50 },
            steps: [
              { kind: 'child_started', at: T - 40 },
              { kind: 'child_waiting', at: T - 30 },
              { kind: 'run_resumed', at: T + 20 },
            ],
          },
        ]),
        false,
      );
      assert.equal(
        await at([
          {
            run: { status: 'succeeded', createdAt: T - 50, finishedAt: T + 50, updatedAt: T + 50 },
            steps: [
              { kind: 'child_waiting', at: T - 30 },
              { kind: 'run_resumed', at: T - 20 },
            ],
          },
        ]),
        true,
      );
    });

    it('finds a run not finished now past the bound; one finished since only within it', async () => {
      // A long run, then 12 short ones of the role finished before the moment; the bound is 5.
      const long = (over: Partial<RunRecord>): Made => ({ run: { createdAt: T - 10_000, ...over } });
      const short: Made[] = Array.from({ length: 12 }, (_, i) => ({
        run: {
          status: 'succeeded',
          createdAt: T - 1000 + i * 10,
          finishedAt: T - 995 + i * 10,
          updatedAt: T - 995 + i * 10,
        },
      }));
      assert.equal(await at([long({ status: 'running', updatedAt: T - 10_000 }), ...short], 5), true);
      const finished = long({ status: 'succeeded', finishedAt: T + 5, updatedAt: T + 5 });
      assert.equal(await at([finished, ...short], 20), true);
      // Past the bound: not seen, so the tick is caught up (late) rather than lost.
      assert.equal(await at([finished, ...short], 5), false);
    });
  });
}
