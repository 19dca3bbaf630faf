// A person's decision through Slack or email (the channel doors' applyDecision) while a manager agent is
// still deciding the same matter: the manager run is closed (cancelled, signed `nightshift`), as the CLI's
// `answer`/`approve` and the HTTP answer-back close it. A real worker serves the clerk only: its matter goes
// to the lead, whose manager run is queued and not yet driven (no worker serves the lead) when the person
// decides: the manager still holds the matter.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { managerRunId } from '../../src/managers/manager-for.js';
import { applyDecision } from '../../src/notifications/apply-decision.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { approveDrafts, done, refund, writeManagedRoles } from '../support/managed-roles.js';
import { waitFor } from '../support/wait.js';

const dana = { name: 'dana', slack: 'U_DANA', decides: ['clerk'] };
const people: PeopleDirectory = { people: [dana], groups: {} };
/** The clerk's people: told only once a matter reaches them, never while its manager holds it. */
const tiers = { escalate: { tiers: [{ to: ['dana'], via: ['slack'] }] } };

describe('a person deciding through a channel while the manager still decides', () => {
  const scene = async (o: { drafts: boolean }) => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [done],
      clerkExtra: { ...tiers, ...(o.drafts ? { autonomy: 'draft' } : {}) },
      ...(o.drafts ? { manager: approveDrafts, clerkLimit: 1_000_000 } : {}),
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    const stop = new AbortController();
    const clerk = await loadRoleFile(r.clerk);
    const work = rt.work({ roles: [clerk], concurrency: 2, pollMs: 20, signal: stop.signal });
    const { runId } = await rt.enqueue(clerk, {});
    work.wake();
    // The clerk paused and its matter's manager run exists: the manager holds the matter.
    const matter = await waitFor(async () => {
      const snap = (await rt.get(runId))!;
      const m = o.drafts ? snap.approvals[0] : snap.escalations[0];
      return m && (await rt.get(managerRunId(m.id))) ? m : undefined;
    }, "the lead's manager run");
    const manager = (await rt.get(managerRunId(matter.id)))!;
    assert.equal(manager.run.status, 'queued', 'the manager holds the matter, undecided');
    assert.deepEqual(await rt.store.listNotifications({ runId }), [], 'people are not told meanwhile');
    const deps = { store: rt.store, clock: { now: () => Date.now() }, roles: [clerk], env: {} };
    return {
      rt,
      deps,
      matter,
      managerId: manager.run.id,
      close: async () => {
        stop.abort();
        await work.done.catch(() => undefined);
        await rt.close();
      },
    };
  };

  it('an answer from Slack or email closes the manager run still deciding the escalation', async () => {
    const s = await scene({ drafts: false });
    try {
      const out = await applyDecision(s.deps, {
        kind: 'escalation',
        id: s.matter.id,
        action: 'answer',
        person: dana,
        text: 'refund it, I checked',
      });
      assert.equal(out.status, 'queued');
      const manager = (await s.rt.get(s.managerId))!;
      assert.equal(manager.run.status, 'cancelled', 'the manager run has nothing left to decide');
      assert.match(manager.run.error?.message ?? '', /decided by dana/);
      assert.equal((await s.rt.store.getEscalation(s.matter.id))!.answeredBy, 'dana');
    } finally {
      await s.close();
    }
  });

  it('an approval from Slack or email closes the manager run still deciding the change set', async () => {
    const s = await scene({ drafts: true });
    try {
      await applyDecision(s.deps, { kind: 'approval', id: s.matter.id, action: 'approve', person: dana });
      const manager = (await s.rt.get(s.managerId))!;
      assert.equal(manager.run.status, 'cancelled', 'the manager run has nothing left to decide');
      assert.match(manager.run.error?.message ?? '', /decided by dana/);
      assert.equal((await s.rt.store.getApproval(s.matter.id))!.decidedBy, 'dana');
    } finally {
      await s.close();
    }
  });
});
