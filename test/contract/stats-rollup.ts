// The stats rollup's contract: on both stores, the report answered from the rollup of closed hours plus
// the runs equals the report computed from the runs alone, whatever the filter, while runs still in
// progress finish after their hour was rolled up (and are folded in), a continuous agent's failed run
// is reopened, an hour closes between two calls, two stores (two processes) fill at the same time, and
// a first fill of weeks of history goes in whole-day steps.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { computeStats } from '../../src/stats/report.js';
import { SETTLE_MS } from '../../src/store/sql/stats-rollup.js';
import type { RunStatus, StatsFilter, StepRecord, Store } from '../../src/store/types.js';
import { writeRun } from './stats.js';
import type { StoreFixture } from './store.js';

const H = 3_600_000;
/** Hour 0 of the test's timeline (fixed, long past: the real clock never closes or opens its hours). */
const B = Date.UTC(2025, 0, 1);
const T0 = 1_700_000_000_000; // writeRun's origin
/** The `now` at which hours before hour `h` of the timeline are closed. */
const closing = (h: number) => B + h * H + SETTLE_MS;
/** writeRun's `created` for `ms` into hour `h`. */
const at = (h: number, ms = 0) => B - T0 + h * H + ms;

/** Finishes (or reopens) a run as the engine would: one commit, approvals decided on the way. */
async function settle(store: Store, runId: string, status: RunStatus, when: number): Promise<void> {
  const snapshot = await store.loadRun(runId);
  assert.ok(snapshot);
  const { run } = snapshot;
  const finished = ['succeeded', 'failed', 'cancelled'].includes(status);
  const step: StepRecord = {
    runId,
    seq: run.seq + 1,
    kind: finished ? 'run_finished' : 'run_retry_scheduled',
    at: when,
    data: { status },
  };
  await store.commit({
    runId,
    expectSeq: run.seq,
    steps: [step],
    run: {
      status,
      finishedAt: finished ? when : null,
      activeMs: run.activeMs + 250,
      ...(status === 'failed' ? { error: { code: 'LATE_FAILURE', message: 'it broke late' } } : {}),
    },
    approvals: snapshot.approvals
      .filter((a) => a.status === 'pending')
      .map((a) => ({
        record: { ...a, status: 'approved' as const, decidedAt: when, decidedBy: 'ana' },
        expectStatus: 'pending' as const,
      })),
    at: when,
  });
}

export interface RollupFixture extends StoreFixture {
  /** A second store on the same database: another process. */
  another: () => Store;
}

export function describeStatsRollupContract(name: string, open: () => Promise<RollupFixture>): void {
  describe(`Stats rollup contract: ${name}`, () => {
    let fx: RollupFixture;
    let store: Store;
    const filters: StatsFilter[] = [
      {},
      { role: 'eq' },
      { role: 'eq', version: 'v1' },
      { since: B + 30 * 60_000 }, // mid hour 0: the edge from the runs
      { since: B + H }, // a whole hour
      { role: 'eq', since: B - 5 * H },
      { since: B - 55 * H + 1 }, // inside a day compacted to one row: the rest of it from the runs
      { role: 'eq', version: 'v1', since: B - 80 * H },
      // Bounded above (the console's chart buckets): whole hours, a part hour, inside a compacted day.
      { since: B, until: B + 2 * H },
      { until: B + 30 * 60_000 },
      { role: 'eq', since: B - 80 * H, until: B - 55 * H + 1 },
      { since: B - 72 * H, until: B - 48 * H },
    ];
    /** Every filter's report at `now` equals the report from the runs alone. */
    const same = async (now: number, s: Store = store) => {
      for (const filter of filters)
        assert.deepEqual(
          await computeStats(s, filter, { now }),
          await computeStats(s, filter, { rollup: false }),
          `filter ${JSON.stringify(filter)} at hour ${(now - SETTLE_MS - B) / H}`,
        );
    };
    const ids: Record<string, string> = {};

    before(async () => {
      fx = await open();
      store = fx.store;
      await store.init();
      const run = (role: string, version: string, status: RunStatus, created: number, more = {}) =>
        writeRun(store, {
          role,
          version,
          status,
          created,
          queueWait: 100,
          durationMs: 1_000,
          activeMs: 500,
          costUsd: 0.25,
          ...more,
        });
      await run('eq', 'v1', 'succeeded', at(0, 1_000), { calls: [['fs.read', 'allow', 'succeeded']] });
      await run('eq', 'v1', 'failed', at(0, 40 * 60_000), { errorCode: 'MODEL_ERROR', queueWait: 300 });
      await run('eq', 'v1', 'cancelled', at(0, 50 * 60_000), { escalations: [['legal', 'input_rule']] });
      ids.waiting = await run('eq', 'v1', 'awaiting_approval', at(0, 2_000), {
        calls: [['fs.write', 'draft', 'drafted']],
        approvals: [['pending']],
      });
      ids.running = await run('eq', 'v2', 'running', at(0, 3_000), { costUsd: 0.5 });
      ids.queued = await run('other', 'v1', 'queued', at(0, 4_000));
      ids.continuous = await run('eq', 'v1', 'failed', at(0, 5_000), {
        errorCode: 'TOOL_FAILED',
        idempotencyKey: `inbox:${Date.now()}`,
      });
      await run('eq', 'v2', 'succeeded', at(1, 1_000), { costUsd: 0.75, queueWait: 50 });
      await run('other', 'v1', 'succeeded', at(-10), { approvals: [['rejected', 2_000]] });
      // Hours more than two days before the newest rolled-up one are compacted to days.
      await run('other', 'v1', 'succeeded', at(-60), { calls: [['fs.read', 'deny', 'denied']] });
      await run('eq', 'v1', 'failed', at(-54, 7), { errorCode: 'MODEL_ERROR', queueWait: 900 });
      ids.old = await run('eq', 'v1', 'awaiting_approval', at(-50), {
        calls: [['fs.write', 'draft', 'drafted']],
        approvals: [['pending']],
      });
    });
    after(async () => {
      await store.close();
      await fx.cleanup();
    });

    it('answers from the rollup with the figures of the runs, an hour open or closed', async () => {
      await same(closing(0)); // nothing closed yet
      await same(closing(1)); // hour 0 closed, with runs still in progress in it
      await same(closing(1));
      const rolled = await computeStats(store, {}, { now: closing(1) });
      const eq = rolled.groups.find((g) => g.role === 'eq' && g.roleVersion === 'v1');
      assert.equal(eq?.runs.total, 7);
      assert.equal(eq?.runs.byStatus.awaiting_approval, 2);
    });

    it('counts runs that finish after their hour was rolled up, once', async () => {
      await settle(store, ids.waiting!, 'succeeded', B + 2 * H);
      await settle(store, ids.old!, 'succeeded', B + 2 * H); // folded into a compacted day
      await settle(store, ids.running!, 'failed', B + 2 * H);
      await settle(store, ids.continuous!, 'running', B + 2 * H); // the supervisor reopens it
      await same(closing(1));
      await settle(store, ids.continuous!, 'succeeded', B + 2 * H + 1);
      await writeRun(store, { role: 'eq', version: 'v1', status: 'succeeded', created: at(1, 2_000) });
      await same(closing(1));
      await same(closing(2)); // hour 1 closes between two calls
      await same(closing(2));
      const report = await computeStats(store, { role: 'eq', version: 'v1' }, { now: closing(2) });
      assert.equal(report.groups[0]?.runs.byStatus.succeeded, 5);
      assert.equal(report.groups[0]?.approvals.byStatus.approved, 2);
    });

    it('fills three weeks of history in whole-day steps, old days straight into day rows', async () => {
      // A fresh store, as after an upgrade: SQLite fills it a day a step, Postgres a week a step, and
      // every day but the last two goes straight into day rows (one with a run still waiting in it).
      const fresh = await open();
      const s = fresh.store;
      await s.init();
      try {
        for (let h = -21 * 24 + 5; h < 0; h += 7) {
          const failed = h % 3 === 0;
          await writeRun(s, {
            role: h % 2 === 0 ? 'eq' : 'other',
            version: 'v1',
            status: failed ? 'failed' : 'succeeded',
            created: at(h, 1_000),
            queueWait: 60 + (h % 50),
            durationMs: 1_000 - h,
            costUsd: 0.125,
            calls: [['fs.read', 'allow', 'succeeded']],
            ...(failed ? { errorCode: 'MODEL_ERROR' } : {}),
          });
        }
        await writeRun(s, {
          role: 'eq',
          version: 'v1',
          status: 'awaiting_approval',
          created: at(-300),
          calls: [['fs.write', 'draft', 'drafted']],
          approvals: [['pending']],
        });
        const now = closing(0);
        for (const filter of [
          {},
          { role: 'eq' },
          { since: B - 200 * H + 1 }, // inside a day row
          { since: B - 30 * H }, // an hour still kept hour by hour
          { role: 'other', since: B - 10 * 24 * H },
        ])
          assert.deepEqual(
            await computeStats(s, filter, { now }),
            await computeStats(s, filter, { rollup: false }),
            JSON.stringify(filter),
          );
        const report = await computeStats(s, {}, { now });
        assert.equal(
          report.groups.reduce((n, g) => n + g.runs.total, 0),
          Math.ceil((21 * 24 - 5) / 7) + 1,
        );
      } finally {
        await s.close();
        await fresh.cleanup();
      }
    });

    it('never double-counts when two stores fill the rollup at once', async () => {
      for (let h = 2; h < 8; h++)
        for (let i = 0; i < 3; i++)
          await writeRun(store, {
            role: i === 0 ? 'other' : 'eq',
            version: 'v1',
            status: i === 2 ? 'failed' : 'succeeded',
            created: at(h, i * 1_000),
            queueWait: 10 * h + i,
            durationMs: 100 * h,
            costUsd: 0.125 * i,
            calls: [['fs.read', 'allow', 'succeeded']],
          });
      const other = fx.another();
      await other.init();
      try {
        const now = closing(8);
        const [a, b, c] = await Promise.all([
          computeStats(store, {}, { now }),
          computeStats(other, {}, { now }),
          computeStats(other, { role: 'eq' }, { now }),
        ]);
        const exact = await computeStats(store, {}, { rollup: false });
        assert.deepEqual(a, exact);
        assert.deepEqual(b, exact);
        assert.deepEqual(c, await computeStats(store, { role: 'eq' }, { rollup: false }));
        await same(now, other);
      } finally {
        await other.close();
      }
    });
  });
}
