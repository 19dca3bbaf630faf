// A manager approves drafts only when the drafting role opts in (`manager: { approveDrafts: true }`), and
// then under the same rule as `escalation.allow`: judged as if the manager's role made every call of the
// change set itself. A clerk at `draft` drafts a refund; its lead (refund rule at 1,000) may approve 250,
// not 5,000: that change set goes on to people, told through the outbox in the commit of that hop.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatShow } from '../../src/cli/format.js';
import { summarize } from '../../src/engine/summary.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { approveDrafts, done, refund, writeDraftingRoles } from '../support/managed-roles.js';
import { waitFor } from '../support/wait.js';

const people: PeopleDirectory = {
  people: [{ name: 'dana', webhook: 'http://127.0.0.1:9/decisions', decides: ['clerk'] }],
  groups: {},
};
const tiers = { escalate: { tiers: [{ to: ['dana'], via: ['webhook'] }] } };

/** A drafting clerk whose lead approves its drafts; people are told through the webhook tier. */
function drafting(o: {
  clerkTurns: unknown[];
  leadTurns: unknown[];
  manager?: unknown;
  leadExtra?: Record<string, unknown>;
}) {
  return writeDraftingRoles({ ...o, clerkExtra: tiers });
}

describe('a manager approving drafts (approveDrafts: true)', () => {
  it('approves a change set within its authority: the calls run once, the run finishes, nobody is told', async () => {
    const r = drafting({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'approval.approve', args: { note: 'within my limit' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund 250']);
      const snap = (await rt.get(result.runId))!;
      const approval = snap.approvals[0]!;
      assert.equal(approval.status, 'approved');
      assert.match(approval.decidedBy!, /^manager:lead\/run_mgr_apr_/);
      assert.equal(snap.toolCalls[0]!.status, 'succeeded');
      const hops = snap.steps.filter((s) => s.kind === 'approval_hop');
      assert.deepEqual(
        hops.map((s) => [s.data.to, s.data.by]),
        [['manager', 'policy']],
      );
      // The manager run was shown the exact change set and its hash, and finished after deciding.
      const mgr = (await rt.get(hops[0]!.data.managerRunId as string))!;
      assert.equal(mgr.run.status, 'succeeded');
      const shown = (
        mgr.run.input as { changeSet: { hash: string; calls: { tool: string; args: unknown }[] } }
      ).changeSet;
      assert.equal(shown.hash, approval.changeSetHash);
      assert.deepEqual(
        shown.calls.map((c) => [c.tool, c.args]),
        [['ledger.append', { entry: 'refund 250', amount: 250 }]],
      );
      // Signed by the manager in the step and the audit log; the manager's decision tells no person.
      const decided = snap.steps.find((s) => s.kind === 'approval_decided')!;
      assert.equal(decided.data.by, approval.decidedBy);
      const audit = await rt.store.listAudit({ runId: result.runId });
      assert.ok(audit.some((a) => a.action === 'approval.approved' && a.actor === approval.decidedBy));
      assert.ok(audit.some((a) => a.action === 'approval.passed' && a.actor === 'policy'));
      assert.deepEqual(await rt.store.listNotifications({ runId: result.runId }), []);
      // `show` prints the chain.
      const shownText = formatShow(snap, summarize(snap));
      assert.match(
        shownText,
        /approval path:\n {2}apr_\S+ drafted \(1 call\(s\)\) → manager lead \(run run_mgr_apr_\S+\) → approved by manager:lead\//,
      );
    } finally {
      await rt.close();
    }
  });

  it('refuses the lead a change set beyond its authority: it goes to people (outbox), runs only when one approves', async () => {
    const r = drafting({
      clerkTurns: [refund(5000), done],
      leadTurns: [{ call: 'approval.approve', args: { note: 'looks fine to me' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'awaiting_approval');
      assert.deepEqual(r.ledger(), []);
      const snap = (await rt.get(paused.runId))!;
      const hops = snap.steps.filter((s) => s.kind === 'approval_hop');
      assert.deepEqual(
        hops.map((s) => s.data.to),
        ['manager', 'humans'],
      );
      assert.match(String(hops[1]!.data.why), /beyond the manager's authority.*escalation rule 0 \(money\)/);
      assert.match(String(hops[1]!.data.by), /^manager:lead\//);
      const mgr = (await rt.get(hops[0]!.data.managerRunId as string))!;
      assert.equal(mgr.run.status, 'cancelled');
      const approval = snap.approvals[0]!;
      assert.equal(approval.status, 'pending');
      // People are told once, in the hop's commit.
      const rows = await rt.store.listNotifications({ runId: paused.runId });
      assert.deepEqual(
        rows.map((n) => [n.channel, n.people, n.decisionId, n.tier]),
        [['webhook', ['dana'], approval.id, 0]],
      );
      assert.deepEqual(
        (await rt.inbox()).approvals.map((a) => a.id),
        [approval.id],
      );
      // Somebody not allowed to decide for the clerk is refused, with nothing changed.
      await assert.rejects(
        rt.approve(approval.id, { by: 'eve' }),
        (err: Error & { code?: string }) => err.code === 'PERSON_NOT_ALLOWED',
      );
      assert.equal((await rt.store.getApproval(approval.id))!.status, 'pending');
      const result = await rt.approve(approval.id, { by: 'dana', note: 'finance agreed' });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund 5000']);
      const text = formatShow((await rt.get(paused.runId))!, result);
      assert.match(
        text,
        /→ manager lead \(run \S+\) → people \(manager:lead\/\S+ passed it up: .*\) → approved by dana/,
      );
    } finally {
      await rt.close();
    }
  });

  it('refuses the approval when the manager could not make a call at all (not among its tools)', async () => {
    const r = drafting({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'approval.approve', args: { note: 'sure' } }, done],
      leadExtra: { tools: [], escalation: [] },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'awaiting_approval');
      assert.deepEqual(r.ledger(), []);
      const snap = (await rt.get(paused.runId))!;
      const up = snap.steps.filter((s) => s.kind === 'approval_hop').at(-1)!;
      assert.equal(up.data.to, 'humans');
      assert.match(String(up.data.why), /not in this role's tools/);
    } finally {
      await rt.close();
    }
  });

  it('a rejection by the manager: nothing runs, the drafting agent is told why and finishes', async () => {
    const r = drafting({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'approval.reject', args: { reason: 'offer store credit instead' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const result = await rt.run(r.clerk, {});
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(r.ledger(), []);
      const snap = (await rt.get(result.runId))!;
      assert.equal(snap.approvals[0]!.status, 'rejected');
      assert.equal(snap.toolCalls[0]!.status, 'rejected');
      assert.match(JSON.stringify(snap.toolCalls[0]!.result), /store credit/);
      assert.deepEqual(await rt.store.listNotifications({ runId: result.runId }), []);
    } finally {
      await rt.close();
    }
  });

  it("the manager's own escalate passes the change set to people, signed by the manager", async () => {
    const r = drafting({
      clerkTurns: [refund(250), done],
      leadTurns: [{ escalate: { category: 'money', reason: 'finance must look at this' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'awaiting_approval');
      const up = (await rt.get(paused.runId))!.steps.filter((s) => s.kind === 'approval_hop').at(-1)!;
      assert.equal(up.data.to, 'humans');
      assert.match(String(up.data.why), /finance must look at this/);
      assert.equal((await rt.store.listNotifications({ runId: paused.runId })).length, 1);
    } finally {
      await rt.close();
    }
  });
});

describe('without the opt-in (approveDrafts: false, the default)', () => {
  it('sends drafts to people as before: no manager run, no hop, people told in the pause’s commit', async () => {
    const r = drafting({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'approval.approve', args: { note: 'would approve' } }, done],
      manager: './lead.yaml',
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    try {
      const paused = await rt.run(r.clerk, {});
      assert.equal(paused.status, 'awaiting_approval');
      assert.deepEqual(
        (await rt.list()).map((x) => x.role),
        ['clerk'],
      );
      const snap = (await rt.get(paused.runId))!;
      assert.equal(snap.steps.filter((s) => s.kind === 'approval_hop').length, 0);
      assert.equal((await rt.store.listNotifications({ runId: paused.runId })).length, 1);
      assert.deepEqual(r.ledger(), []);
    } finally {
      await rt.close();
    }
  });
});

describe('a manager approving drafts under a worker', () => {
  it('the worker drives the manager run, then the drafting run once the manager approved', async () => {
    const r = drafting({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'approval.approve', args: { note: 'within my limit' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    const stop = new AbortController();
    try {
      const clerk = await loadRoleFile(r.clerk);
      const lead = await loadRoleFile(r.lead);
      const work = rt.work({ roles: [clerk, lead], concurrency: 2, pollMs: 20, signal: stop.signal });
      const queued = await rt.enqueue(clerk, {});
      work.wake();
      const finished = await waitFor(async () => {
        const run = (await rt.get(queued.runId))!.run;
        return run.status === 'succeeded' ? run : undefined;
      }, 'the clerk run to finish');
      assert.equal(finished.status, 'succeeded');
      assert.deepEqual(r.ledger(), ['refund 250']);
      const leads = await rt.list({ role: 'lead' });
      assert.deepEqual(
        leads.map((l) => l.status),
        ['succeeded'],
      );
      assert.deepEqual(await rt.store.listNotifications({ runId: queued.runId }), []);
    } finally {
      stop.abort();
      await rt.close();
    }
  });

  it('a manager that does not decide in time passes the change set to people (the sweep), who are told', async () => {
    const r = drafting({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'approval.approve', args: { note: 'too late' } }, done],
      manager: { ...approveDrafts, timeout: '1s' },
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people });
    const stop = new AbortController();
    try {
      const clerk = await loadRoleFile(r.clerk);
      // No worker serves the lead here: its run is queued and nobody decides.
      const work = rt.work({ roles: [clerk], concurrency: 1, pollMs: 20, signal: stop.signal });
      const queued = await rt.enqueue(clerk, {});
      work.wake();
      const up = await waitFor(async () => {
        const snap = (await rt.get(queued.runId))!;
        return snap.steps.find((s) => s.kind === 'approval_hop' && s.data.to === 'humans');
      }, 'the hop to people');
      assert.match(String(up.data.why), /did not decide within 1 s/);
      const snap = (await rt.get(queued.runId))!;
      assert.equal(snap.run.status, 'awaiting_approval');
      assert.equal((await rt.list({ role: 'lead' }))[0]!.status, 'cancelled');
      assert.equal((await rt.store.listNotifications({ runId: queued.runId })).length, 1);
      assert.deepEqual(r.ledger(), []);
    } finally {
      stop.abort();
      await rt.close();
    }
  });
});
