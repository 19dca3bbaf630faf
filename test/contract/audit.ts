// The hash-chained audit log, the same on both stores: real runs (scripted roles) write a denial, a draft
// approved, an escalation raised and answered, a cancel and a role version seen, and the chain verifies;
// a row edited in the database fails verification at that row, a row deleted fails it at the next one,
// and a run's newest row deleted fails it at that run's chain head. Run by test/store/{sqlite,postgres}-audit.test.ts.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AUDIT_ACTIONS } from '../../src/audit/actions.js';
import type { ChainedAuditRow } from '../../src/audit/chain.js';
import { auditEntries, verifyAuditLog } from '../../src/audit/read.js';
import { createRuntime } from '../../src/runtime.js';
import type { Store } from '../../src/store/types.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

export interface AuditFixture {
  /** A fresh store object on the fixture's database (not yet initialised). */
  open(): Store;
  /** Runs one SQL statement on the database directly, behind the store's back (`?` placeholders). */
  tamper(sql: string, params: unknown[]): Promise<void>;
  cleanup(): Promise<void>;
}

const done = { final: { summary: 'done' } };
const write = (path: string) => ({ call: 'fs.write', args: { path, content: 'x' } });

export function describeAuditContract(name: string, make: () => Promise<AuditFixture>): void {
  describe(`audit log contract: ${name}`, () => {
    let fx: AuditFixture;
    const roles: TestRole[] = [];
    const role = (o: Parameters<typeof writeTestRole>[0]) => {
      const r = writeTestRole(o);
      roles.push(r);
      return r;
    };
    let store: Store;

    before(async () => {
      fx = await make();
      // A store given to a runtime is the caller's to close (the runtime closes only what it opened).
      const given = fx.open();
      const rt = await createRuntime({ store: given });
      try {
        const observer = role({ name: 'watcher', autonomy: 'observe', turns: [write('a.txt'), done] });
        assert.equal((await rt.run(observer.file, {})).status, 'succeeded');

        const drafter = role({ name: 'drafter', autonomy: 'draft', turns: [write('b.txt'), done] });
        const drafted = await rt.run(drafter.file, {});
        assert.equal(drafted.status, 'awaiting_approval');
        assert.equal((await rt.approve(drafted.pending[0]!, { by: 'ana' })).status, 'succeeded');

        const asker = role({
          name: 'asker',
          autonomy: 'full',
          turns: [{ escalate: { category: 'legal', reason: 'may we?' } }, done],
        });
        const asked = await rt.run(asker.file, {});
        assert.equal(asked.status, 'escalated');
        assert.equal((await rt.answer(asked.escalations[0]!.id, 'yes', { by: 'lee' })).status, 'succeeded');

        const dropped = await rt.run(drafter.file, {});
        assert.equal(dropped.status, 'awaiting_approval');
        assert.equal((await rt.cancel(dropped.runId, { by: 'kim', reason: 'not now' })).status, 'cancelled');
      } finally {
        await rt.close();
        await given.close();
      }
      store = fx.open();
      await store.init();
    });
    after(async () => {
      await store?.close();
      await fx?.cleanup();
      for (const r of roles) r.cleanup();
    });

    it('records every human decision, denial, draft, escalation hop, cancel and role version, chained', async () => {
      const entries: ChainedAuditRow[] = [];
      for await (const e of auditEntries(store)) entries.push(e);
      const actions = entries.map((e) => e.action);
      for (const a of [
        AUDIT_ACTIONS.runCreated,
        AUDIT_ACTIONS.policyDenied,
        AUDIT_ACTIONS.approvalRequested,
        AUDIT_ACTIONS.approvalApproved,
        AUDIT_ACTIONS.escalationRaised,
        AUDIT_ACTIONS.escalationAnswered,
        AUDIT_ACTIONS.runCancelled,
        AUDIT_ACTIONS.roleVersionSeen,
      ]) {
        assert.ok(actions.includes(a), `the log has ${a}: ${actions.join(', ')}`);
      }
      assert.deepEqual(
        entries.filter((e) => e.action === AUDIT_ACTIONS.approvalApproved).map((e) => e.actor),
        ['ana'],
      );
      assert.deepEqual(
        entries.filter((e) => e.action === AUDIT_ACTIONS.runCancelled).map((e) => e.actor),
        ['kim'],
      );
      // Ids ascend; each entry links to the one before it in its run's chain (run-less ones: chain '').
      const last = new Map<string, string>();
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        if (i > 0) assert.ok(e.id > entries[i - 1]!.id);
        assert.equal(e.prevHash, last.get(e.runId ?? '') ?? '0'.repeat(64));
        last.set(e.runId ?? '', e.hash!);
      }
      assert.deepEqual(await verifyAuditLog(store), { ok: true, count: entries.length });
    });

    it('filters the export by role and by time', async () => {
      const drafter: ChainedAuditRow[] = [];
      for await (const e of auditEntries(store, { role: 'drafter' })) drafter.push(e);
      assert.ok(drafter.length > 0);
      const runIds = new Set(drafter.filter((e) => e.runId).map((e) => e.runId));
      assert.equal(runIds.size, 2, 'the two drafter runs');
      assert.ok(drafter.some((e) => e.action === AUDIT_ACTIONS.roleVersionSeen && e.target === 'drafter'));
      assert.ok(!drafter.some((e) => e.action === AUDIT_ACTIONS.escalationRaised));
      const later: ChainedAuditRow[] = [];
      for await (const e of auditEntries(store, { since: Date.now() + 60_000 })) later.push(e);
      assert.deepEqual(later, []);
    });

    it('fails at an entry edited in the database, and holds again once it is put back', async () => {
      const entries: ChainedAuditRow[] = [];
      for await (const e of auditEntries(store)) entries.push(e);
      const victim = entries[Math.floor(entries.length / 2)]!;
      await fx.tamper('UPDATE audit_events SET actor = ? WHERE id = ?', ['mallory', victim.id]);
      const verdict = await verifyAuditLog(store);
      assert.equal(verdict.ok, false);
      assert.ok(!verdict.ok);
      assert.equal(verdict.broken.id, victim.id);
      assert.match(verdict.broken.problem, /edited/);
      await fx.tamper('UPDATE audit_events SET actor = ? WHERE id = ?', [victim.actor, victim.id]);
      assert.equal((await verifyAuditLog(store)).ok, true);
    });

    it('fails at the entry after one deleted, and at the head when the newest is deleted', async () => {
      const entries: ChainedAuditRow[] = [];
      for await (const e of auditEntries(store)) entries.push(e);
      const last = entries[entries.length - 1]!;
      await fx.tamper('DELETE FROM audit_events WHERE id = ?', [last.id]);
      const atHead = await verifyAuditLog(store);
      assert.ok(!atHead.ok);
      assert.equal(atHead.broken.id, last.id);
      assert.match(atHead.broken.problem, /head/);

      // The approved draft's run: run.created, approval.requested, approval.approved. Delete the middle.
      const requested = entries.find((e) => e.action === AUDIT_ACTIONS.approvalRequested)!;
      const ofRun = entries.filter((e) => e.runId === requested.runId);
      assert.equal(ofRun.length, 3);
      await fx.tamper('DELETE FROM audit_events WHERE id = ?', [ofRun[1]!.id]);
      const verdict = await verifyAuditLog(store);
      assert.ok(!verdict.ok);
      assert.equal(verdict.broken.id, ofRun[2]!.id);
      assert.match(verdict.broken.problem, /deleted/);
      assert.equal(verdict.count, entries.findIndex((e) => e.id === ofRun[2]!.id) - 1);
    });
  });
}
