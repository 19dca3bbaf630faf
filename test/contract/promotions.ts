// The promotions part of the Store contract, for both stores: a role's versions listed oldest first, the
// active version is the promotion that took effect last, a promotion takes effect only against the one it
// was judged against, a pending one is settled once, and each write carries its audit entries with it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PromotionRecord, Store } from '../../src/store/types.js';
import type { StoreFixture } from './store.js';

let n = 0;
const uid = (p: string) => `${p}_${Date.now().toString(36)}_${n++}`;

function promotion(role: string, over: Partial<PromotionRecord> = {}): PromotionRecord {
  return {
    id: uid('prm'),
    role,
    version: 'v1',
    kind: 'promote',
    status: 'done',
    baseId: null,
    fromVersion: null,
    backTo: null,
    requestedBy: 'alice',
    requestedAt: 1000 + n,
    evidence: ['eval ünïcødé 🦉 "quoted"'],
    widening: [],
    decidedBy: 'alice',
    decidedAt: 1000 + n,
    note: null,
    seq: null,
    ...over,
  };
}

const audit = (role: string, action: string) => [
  { at: 1000, actor: 'alice', action, runId: null, target: role, data: { role } },
];

export function describePromotionsContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store contract (promotions): ${name}`, () => {
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

    it("lists a role's versions oldest first, and only that role's", async () => {
      const role = uid('role');
      await store.putRoleVersion({ name: role, version: 'b', spec: { autonomy: 'draft' }, createdAt: 2000 });
      await store.putRoleVersion({ name: role, version: 'a', spec: { autonomy: 'full' }, createdAt: 1000 });
      await store.putRoleVersion({ name: uid('other'), version: 'c', spec: {}, createdAt: 500 });
      const versions = await store.listRoleVersions(role);
      assert.deepEqual(
        versions.map((v) => [v.version, v.spec]),
        [
          ['a', { autonomy: 'full' }],
          ['b', { autonomy: 'draft' }],
        ],
      );
    });

    it('makes the promotion that took effect last the active one, numbering them in order', async () => {
      const role = uid('role');
      assert.equal(await store.activePromotion(role), undefined);
      const first = promotion(role, { version: 'v1' });
      assert.equal(
        await store.applyPromotion(first, { settle: false }, audit(role, 'role.version_promoted')),
        'applied',
      );
      const second = promotion(role, {
        version: 'v2',
        baseId: first.id,
        fromVersion: 'v1',
        backTo: first.id,
      });
      assert.equal(await store.applyPromotion(second, { settle: false }, []), 'applied');
      const active = await store.activePromotion(role);
      assert.equal(active?.id, second.id);
      assert.equal(active?.seq, 2);
      assert.deepEqual({ ...active, seq: null }, second);
      assert.equal((await store.getPromotion(first.id))?.seq, 1);
    });

    it('refuses a promotion judged against a version that is no longer active (stale), writing nothing', async () => {
      const role = uid('role');
      const first = promotion(role);
      await store.applyPromotion(first, { settle: false }, []);
      const late = promotion(role, { version: 'v9', baseId: null });
      assert.equal(
        await store.applyPromotion(late, { settle: false }, audit(role, 'role.version_promoted')),
        'stale',
      );
      assert.equal(await store.getPromotion(late.id), undefined);
      assert.equal((await store.activePromotion(role))?.id, first.id);
      const entries = (await store.listAudit({ limit: 1000 })).filter((e) => e.target === role);
      assert.equal(entries.length, 0, 'no audit entry for a promotion that did not happen');
    });

    it('keeps a pending promotion out of effect until it is settled, and settles it once', async () => {
      const role = uid('role');
      const wide = promotion(role, {
        status: 'pending',
        decidedBy: null,
        decidedAt: null,
        widening: ['autonomy rises from draft to full'],
      });
      await store.applyPromotion(wide, { settle: false }, audit(role, 'role.promotion_requested'));
      assert.equal(await store.activePromotion(role), undefined);
      assert.deepEqual(
        (await store.listPromotions({ role, status: 'pending' })).map((p) => p.id),
        [wide.id],
      );
      const granted = { ...wide, status: 'done' as const, decidedBy: 'bob', decidedAt: 5000, note: 'ok' };
      assert.equal(
        await store.applyPromotion(granted, { settle: true }, audit(role, 'role.version_promoted')),
        'applied',
      );
      const active = await store.activePromotion(role);
      assert.equal(active?.decidedBy, 'bob');
      assert.equal(active?.seq, 1);
      assert.deepEqual(active?.widening, ['autonomy rises from draft to full']);
      assert.equal(await store.applyPromotion(granted, { settle: true }, []), 'not_pending');
      assert.deepEqual(await store.listPromotions({ role, status: 'pending' }), []);
      const actions = (await store.listAudit({ limit: 1000 }))
        .filter((e) => e.target === role)
        .map((e) => [e.actor, e.action]);
      assert.deepEqual(actions.sort(), [
        ['alice', 'role.promotion_requested'],
        ['alice', 'role.version_promoted'],
      ]);
    });

    it('lets only one of three concurrent promotions against the same base take effect', async () => {
      const role = uid('role');
      const outcomes = await Promise.all(
        ['x', 'y', 'z'].map((v) =>
          store.applyPromotion(promotion(role, { version: v }), { settle: false }, []),
        ),
      );
      assert.deepEqual(outcomes.sort(), ['applied', 'stale', 'stale']);
      assert.equal((await store.listPromotions({ role })).length, 1);
    });

    it('reads back after reopening', async () => {
      if (!fx.reopen) return;
      const role = uid('role');
      const p = promotion(role);
      await store.applyPromotion(p, { settle: false }, []);
      store = await fx.reopen();
      assert.equal((await store.activePromotion(role))?.id, p.id);
    });
  });
}
