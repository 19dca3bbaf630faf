// The whole escalation path: a role with a manager agent and `escalate:` tiers. People are told only when
// the matter reaches them (the manager passes it up), in the commit that logs that hop; a matter the
// manager decides tells nobody. Notifications are the outbox's rows (src/notifications/), read back here.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PeopleDirectory } from '../../src/people/config.js';
import { createRuntime } from '../../src/runtime.js';
import { writeManagedRoles } from '../support/managed-roles.js';

const done = { final: { summary: 'done' } };
const refund = (amount: number) => ({ call: 'ledger.append', args: { entry: `refund ${amount}`, amount } });
const people: PeopleDirectory = {
  people: [{ name: 'dana', webhook: 'http://127.0.0.1:9/decisions', decides: ['clerk'] }],
  groups: {},
};
const tiers = { escalate: { tiers: [{ to: ['dana'], via: ['webhook'] }] } };

describe('a manager agent, then people', () => {
  it('tells nobody when the manager decides', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done],
      clerkExtra: tiers,
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(await rt.store.listNotifications({ runId: result.runId }), []);
    } finally {
      await rt.close();
    }
  });

  it('tells the first tier when the manager passes the matter up, in the commit of that hop', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(5000), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'looks fine to me' } }, done],
      clerkExtra: tiers,
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'escalated');
      const snap = (await rt.get(paused.runId))!;
      const hops = snap.steps.filter((s) => s.kind === 'escalation_hop');
      assert.deepEqual(
        hops.map((s) => s.data.to),
        ['manager', 'humans'],
      );
      const rows = await rt.store.listNotifications({ runId: paused.runId });
      assert.deepEqual(
        rows.map((n) => [n.channel, n.people, n.decisionId, n.tier]),
        [['webhook', ['dana'], snap.escalations[0]!.id, 0]],
      );
      // Dana may decide for the clerk; somebody else named may not, and nothing changes.
      await assert.rejects(
        rt.answer(snap.escalations[0]!.id, 'go', { by: 'eve', allowCall: true }),
        (err: Error & { code?: string }) => err.code === 'PERSON_NOT_ALLOWED',
      );
      const result = await rt.answer(snap.escalations[0]!.id, 'approved by finance', {
        by: 'dana',
        allowCall: true,
      });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund 5000']);
    } finally {
      await rt.close();
    }
  });

  it('tells people in the pause’s own commit when the role has no manager', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [done],
      clerkExtra: { ...tiers, manager: undefined },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'escalated');
      const snap = (await rt.get(paused.runId))!;
      assert.deepEqual(
        snap.steps.filter((s) => s.kind === 'escalation_hop').map((s) => s.data.to),
        ['humans'],
      );
      assert.equal((await rt.store.listNotifications({ runId: paused.runId })).length, 1);
    } finally {
      await rt.close();
    }
  });
});
