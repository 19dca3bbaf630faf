// The event part of the Store contract, for both stores: one event's deliveries (a queued run per job
// role, an inbox item per continuous role) are recorded all or none. A delivery whose idempotency key is
// known is found, not written, and when the caller's check refuses a found one, none of the event's
// other deliveries stay written, whichever place the refused one has.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import type { EventDelivered, EventDelivery, InboxItem, Store } from '../../src/store/types.js';
import { newRun, type StoreFixture, step } from './store.js';

const unique = (p: string) => `${p}_${randomBytes(5).toString('hex')}`;

function runDelivery(key: string, role = unique('role')): EventDelivery & { kind: 'run' } {
  const run = newRun({ role, status: 'queued', idempotencyKey: key, input: { n: 1 } });
  return {
    kind: 'run',
    run,
    init: {
      steps: [step(run.id, 1, 'run_started', { input: run.input })],
      audit: [
        { at: 1, actor: 'trigger:event', action: 'run.created', runId: run.id, target: role, data: {} },
      ],
      at: 1,
    },
  };
}

function inboxDelivery(key: string, role = unique('agent')): EventDelivery & { kind: 'inbox' } {
  const item: InboxItem = {
    id: unique('evt'),
    role,
    event: 'contract.event',
    payload: { n: 1 },
    idempotencyKey: key,
    createdAt: 1,
    handledAt: null,
    runId: null,
  };
  return { kind: 'inbox', item };
}

export function describeEventLogContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store contract (events): ${name}`, () => {
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

    it('records every delivery of an event, runs and inbox items, answering in the order given', async () => {
      const a = runDelivery(unique('key'));
      const i = inboxDelivery(unique('key'));
      const b = runDelivery(unique('key'));
      const out = await store.recordEvent([a, i, b], () => assert.fail('nothing was found'));
      assert.deepEqual(
        out.map((o) => [o.kind, o.created, o.kind === 'run' ? o.run.id : o.item.id]),
        [
          ['run', true, a.run.id],
          ['inbox', true, i.item.id],
          ['run', true, b.run.id],
        ],
      );
      assert.equal((await store.getRun(a.run.id))?.status, 'queued');
      assert.equal((await store.loadRun(b.run.id))?.steps.length, 1);
      assert.equal((await store.inboxHead(i.item.role))?.id, i.item.id);
      assert.deepEqual(
        (await store.listAudit({ runId: a.run.id })).map((e) => e.action),
        ['run.created'],
      );
    });

    for (const place of ['first', 'last'] as const) {
      it(`writes nothing of the event when the check refuses a delivery found under its key (${place})`, async () => {
        const known = runDelivery(unique('key'));
        const { created } = await store.createRun(known.run, known.init);
        assert.equal(created, true);
        const again = runDelivery(known.run.idempotencyKey!, known.run.role);
        const fresh = [runDelivery(unique('key')), inboxDelivery(unique('key'))];
        const deliveries = place === 'first' ? [again, ...fresh] : [...fresh, again];
        const seen: EventDelivered[] = [];
        await assert.rejects(
          store.recordEvent(deliveries, (found) => {
            seen.push(found);
            throw new NightshiftError('IDEMPOTENCY_KEY_REUSED', 'another payload under this key');
          }),
          { code: 'IDEMPOTENCY_KEY_REUSED', message: 'another payload under this key' },
        );
        assert.equal(seen.length, 1);
        assert.equal(seen[0]!.kind === 'run' && seen[0]!.run.id, known.run.id);
        const [run, item] = fresh as [EventDelivery & { kind: 'run' }, EventDelivery & { kind: 'inbox' }];
        assert.equal(await store.getRun(run.run.id), undefined, 'the run before or after it is not written');
        assert.deepEqual(await store.listAudit({ runId: run.run.id }), []);
        assert.equal(await store.inboxDepth(item.item.role), 0, 'nor is the inbox item');
        assert.equal(await store.getRun(again.run.id), undefined);
        // Accepted (a redelivery that reaches one more role): the known run is found, the others written.
        const out = await store.recordEvent(deliveries, () => {});
        const byKind = out.map((o) => (o.kind === 'run' ? `${o.run.id}:${o.created}` : `inbox:${o.created}`));
        assert.ok(byKind.includes(`${known.run.id}:false`));
        assert.ok(byKind.includes(`${run.run.id}:true`));
        assert.ok(byKind.includes('inbox:true'));
        assert.equal(await store.inboxDepth(item.item.role), 1);
      });
    }

    it('lets two writers of the same event at once agree: each delivery written once, the same for both', async () => {
      const keys = [unique('key'), unique('key'), unique('key')];
      const roles = keys.map(() => unique('role'));
      const event = () => [
        runDelivery(keys[0]!, roles[0]),
        inboxDelivery(keys[1]!, roles[1]),
        runDelivery(keys[2]!, roles[2]),
      ];
      // In opposite orders: a store that took the keys in the order given could deadlock here.
      const [one, two] = await Promise.all([
        store.recordEvent(event(), () => {}),
        store.recordEvent(event().reverse(), () => {}),
      ]);
      const id = (o: EventDelivered) => (o.kind === 'run' ? o.run.id : o.item.id);
      const twoInOrder = [...two!].reverse();
      one!.forEach((o, i) => {
        assert.equal(id(o), id(twoInOrder[i]!), `delivery ${i}: both writers answer with one record`);
        assert.equal(o.created !== twoInOrder[i]!.created, true, `delivery ${i}: written once`);
      });
      assert.equal((await store.listRuns({ role: roles[0]! })).length, 1);
      assert.equal(await store.inboxDepth(roles[1]!), 1);
    });
  });
}
