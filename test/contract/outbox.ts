// The outbox part of the Store contract, for both stores: notification rows and tiers travel in a run's
// commit (all or nothing with it), a claim leases a row to one sender, only the holder settles it, an
// expired lease makes it due again (a second attempt), and a tier moves on only from the tier expected.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DecisionTierRecord, OutboxRecord, Store } from '../../src/store/types.js';
import { newEscalation, newRun, type StoreFixture, step } from './store.js';

let n = 0;

function row(runId: string, decisionId: string, over: Partial<OutboxRecord> = {}): OutboxRecord {
  n++;
  return {
    id: `ntf_contract_${Date.now().toString(36)}_${n}`,
    runId,
    decisionKind: 'escalation',
    decisionId,
    tier: 0,
    channel: 'webhook',
    to: `http://127.0.0.1:9/hook/${n}`,
    people: ['alice', 'bøb'],
    decision: {
      kind: 'escalation',
      id: decisionId,
      runId,
      role: 'contract-role',
      category: 'money',
      reason: 'ünïcødé "quoted" 🦉',
      summary: 'line\nbreak',
      createdAt: 1000,
    },
    status: 'pending',
    attempt: 0,
    dueAt: 1000,
    leaseOwner: null,
    leaseUntil: null,
    lastError: null,
    createdAt: 1000,
    sentAt: null,
    ...over,
  };
}

const tier = (runId: string, decisionId: string, t: number, dueAt: number | null): DecisionTierRecord => ({
  decisionId,
  decisionKind: 'escalation',
  runId,
  role: 'contract-role',
  tier: t,
  dueAt,
  updatedAt: 1000,
});

export function describeOutboxContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store contract (outbox): ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    before(async () => {
      fx = await open();
      store = fx.store;
      await store.init();
    });
    after(async () => {
      await store.close();
      await fx.cleanup();
    });

    async function pausedRun(rows: (runId: string, escId: string) => OutboxRecord[], dueAt: number | null) {
      const run = newRun();
      await store.createRun(run, { steps: [step(run.id, 1, 'run_started')], at: 1000 });
      const esc = newEscalation(run.id);
      const written = rows(run.id, esc.id);
      await store.commit({
        runId: run.id,
        expectSeq: 1,
        steps: [step(run.id, 2, 'escalation_raised')],
        escalations: [{ record: esc }],
        notifications: written,
        tiers: [{ record: tier(run.id, esc.id, 0, dueAt) }],
        at: 1000,
      });
      return { run, esc, written };
    }

    it('writes rows and tier with the commit, exactly; a refused commit writes none', async () => {
      const { run, esc, written } = await pausedRun(
        (r, e) => [row(r, e), row(r, e, { channel: 'email' })],
        5000,
      );
      assert.deepEqual(
        (await store.listNotifications({ decisionId: esc.id })).sort((a, b) => a.id.localeCompare(b.id)),
        [...written].sort((a, b) => a.id.localeCompare(b.id)),
      );
      assert.deepEqual(await store.getTier(esc.id), tier(run.id, esc.id, 0, 5000));
      // A commit at a stale seq: neither its notifications nor its tier are written.
      const lost = row(run.id, 'esc_other');
      await assert.rejects(
        store.commit({
          runId: run.id,
          expectSeq: 1,
          steps: [step(run.id, 2)],
          notifications: [lost],
          tiers: [{ record: tier(run.id, 'esc_other', 0, 1) }],
          at: 1000,
        }),
        /STORE_CONFLICT|not at seq/,
      );
      assert.deepEqual(await store.listNotifications({ decisionId: 'esc_other' }), []);
      assert.equal(await store.getTier('esc_other'), undefined);
    });

    it('leases a due row to one sender; only the holder settles it; an expired lease is due again', async () => {
      const { written } = await pausedRun((r, e) => [row(r, e, { channel: 'slack' })], null);
      const id = written[0]!.id;
      const claimSlack = (owner: string, now: number) =>
        store
          .claimNotifications(owner, now + 100, now, ['slack'], 50)
          .then((rs) => rs.filter((x) => x.id === id));
      assert.deepEqual(await store.claimNotifications('a', 2100, 2000, ['smoke-signal'], 50), []);
      const [a] = await claimSlack('a', 2000);
      assert.equal(a?.attempt, 1);
      assert.equal(a?.leaseOwner, 'a');
      assert.deepEqual(await claimSlack('b', 2050), [], 'leased to a');
      // a died: the lease expired, b takes it as a second attempt.
      const [b] = await claimSlack('b', 2101);
      assert.equal(b?.attempt, 2);
      assert.equal(await store.settleNotification(id, 'a', { status: 'sent', at: 2102 }), false);
      assert.equal(
        await store.settleNotification(id, 'b', {
          status: 'pending',
          at: 2102,
          dueAt: 9000,
          error: 'HTTP 503',
        }),
        true,
      );
      assert.deepEqual(await claimSlack('c', 8999), [], 'backing off');
      const [c] = await claimSlack('c', 9000);
      assert.equal(c?.attempt, 3);
      assert.equal(await store.settleNotification(id, 'c', { status: 'sent', at: 9001 }), true);
      const [final] = (await store.listNotifications({})).filter((x) => x.id === id);
      assert.deepEqual(
        [final?.status, final?.sentAt, final?.leaseOwner, final?.lastError],
        ['sent', 9001, null, null],
      );
      assert.equal(
        await store.settleNotification(id, 'c', { status: 'failed', at: 9002 }),
        false,
        'settled once',
      );
      assert.deepEqual(await claimSlack('d', 99_999), []);
    });

    it('counts pending rows in the depth', async () => {
      const before = await store.outboxDepth();
      await pausedRun(
        (r, e) => [row(r, e, { channel: 'email' }), row(r, e, { channel: 'email', status: 'sent' })],
        null,
      );
      assert.equal(await store.outboxDepth(), before + 1);
    });

    it('moves a tier only from the tier expected, lists due tiers, and closes one', async () => {
      const { run, esc } = await pausedRun(() => [], 3000);
      assert.ok((await store.dueTiers(3000, 1000)).some((t) => t.decisionId === esc.id));
      assert.ok(!(await store.dueTiers(2999, 1000)).some((t) => t.decisionId === esc.id));
      const moved = { ...tier(run.id, esc.id, 1, 7000), updatedAt: 3001 };
      await store.commit({
        runId: run.id,
        expectSeq: 2,
        steps: [step(run.id, 3, 'tier_passed')],
        tiers: [{ record: moved, expectTier: 0 }],
        at: 3001,
      });
      assert.deepEqual(await store.getTier(esc.id), moved);
      // A second sweeper that read tier 0: refused, nothing written (not even its step).
      await assert.rejects(
        store.commit({
          runId: run.id,
          expectSeq: 3,
          steps: [step(run.id, 4, 'tier_passed')],
          tiers: [{ record: { ...moved, tier: 2 }, expectTier: 0 }],
          at: 3002,
        }),
        /STORE_CONFLICT|tier 0/,
      );
      assert.equal((await store.loadRun(run.id))!.run.seq, 3);
      await store.closeTier(esc.id, 3003);
      assert.equal((await store.getTier(esc.id))!.dueAt, null);
      assert.ok(!(await store.dueTiers(1e12, 1000)).some((t) => t.decisionId === esc.id));
    });
  });
}
