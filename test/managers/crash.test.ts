// kill -9 on the manager hop, with the real CLI: at the manager's start (the escalation committed, its
// manager run not created yet) and right after the manager's decision. `nightshift resume` then carries
// everything on: one manager run per escalation, one hop to it, and the held call run at most once.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { inStore, killCliAt } from '../support/crash-points.js';
import { done, refund, writeManagedRoles } from '../support/managed-roles.js';
import { fixtures } from '../support/paths.js';

describe('kill -9 on the manager hop', () => {
  it('at manager start: resume starts the one manager run, which decides; the refund runs once', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done],
      leadExtra: { toolModules: [fixtures('tools', 'ledger.ts'), fixtures('tools', 'hold-on-load.ts')] },
    });
    await killCliAt(['run', r.clerk, '--json', '--data-dir', r.dataDir], join(r.dir, 'reached-load'), {
      env: { NIGHTSHIFT_TEST_HOLD_LOAD: r.dir },
    });

    const before = await inStore(r.dataDir, async (s) => {
      const runs = await s.listRuns();
      const clerk = runs.find((x) => x.role === 'clerk')!;
      const snap = (await s.loadRun(clerk.id))!;
      return { runs, clerk, snap };
    });
    assert.deepEqual(
      before.runs.map((x) => x.role),
      ['clerk'],
      'killed before the manager run was created',
    );
    assert.equal(before.clerk.status, 'escalated');
    assert.equal(before.snap.escalations[0]!.status, 'pending');
    assert.equal(before.snap.steps.filter((s) => s.kind === 'escalation_hop').length, 0);
    assert.deepEqual(r.ledger(), []);

    writeFileSync(join(r.dir, 'release-load'), '');
    const resumed = await runCli(['resume', before.clerk.id, '--json', '--data-dir', r.dataDir]);
    assert.equal(json<{ status: string }>(resumed).status, 'succeeded', resumed.stderr);
    // A second resume finds everything done and makes nothing new.
    await runCli(['resume', before.clerk.id, '--json', '--data-dir', r.dataDir]);

    const after = await inStore(r.dataDir, async (s) => {
      const runs = await s.listRuns();
      const snap = (await s.loadRun(before.clerk.id))!;
      return { runs, snap };
    });
    assert.deepEqual(r.ledger(), ['refund 250']);
    const leads = after.runs.filter((x) => x.role === 'lead');
    assert.equal(leads.length, 1);
    assert.equal(leads[0]!.status, 'succeeded');
    const hops = after.snap.steps.filter((s) => s.kind === 'escalation_hop');
    assert.deepEqual(
      hops.map((s) => [s.data.to, s.data.managerRunId]),
      [['manager', leads[0]!.id]],
    );
    assert.match(after.snap.escalations[0]!.answeredBy!, /^manager:lead\//);
  });

  it("right after the manager's decision: resume runs the held call once, and the decision is not taken twice", async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [
        {
          calls: [
            { tool: 'escalation.allow', args: { note: 'within my limit' } },
            { tool: 'ledger.append_once', args: { entry: 'lead noted', hold: 'decided' } },
          ],
        },
        done,
      ],
      leadExtra: { tools: ['ledger.append', 'ledger.append_once'] },
    });
    await killCliAt(
      ['run', r.clerk, '--json', '--data-dir', r.dataDir],
      join(r.workspace, 'reached-decided'),
    );

    const clerkId = await inStore(r.dataDir, async (s) => {
      const clerk = (await s.listRuns()).find((x) => x.role === 'clerk')!;
      assert.equal(clerk.status, 'queued', 'the decision queued the clerk run');
      const e = (await s.loadRun(clerk.id))!.escalations[0]!;
      assert.equal(e.status, 'answered');
      return clerk.id;
    });
    assert.deepEqual(
      r.ledger().filter((l) => l.startsWith('refund')),
      [],
    );

    writeFileSync(join(r.workspace, 'release-decided'), '');
    const resumed = await runCli(['resume', clerkId, '--json', '--data-dir', r.dataDir]);
    assert.equal(json<{ status: string }>(resumed).status, 'succeeded', resumed.stderr);
    assert.deepEqual(
      r.ledger().filter((l) => l.startsWith('refund')),
      ['refund 250'],
    );
    // The manager run, resumed too, finds its decision made (idempotent) and finishes.
    const leadId = await inStore(
      r.dataDir,
      async (s) => (await s.listRuns()).find((x) => x.role === 'lead')!.id,
    );
    const again = await runCli(['resume', leadId, '--json', '--data-dir', r.dataDir]);
    assert.equal(json<{ status: string }>(again).status, 'succeeded', again.stderr);
    assert.deepEqual(
      r.ledger().filter((l) => l.startsWith('refund')),
      ['refund 250'],
    );
    const answered = await inStore(r.dataDir, async (s) =>
      (await s.loadRun(clerkId))!.steps.filter((x) => x.kind === 'escalation_answered'),
    );
    assert.equal(answered.length, 1);
  });

  it('killed during a non-idempotent call: the manager cannot let it run again, a person decides', async () => {
    // The refund is within the clerk's own limit: nothing escalates until its process dies mid-call, and the
    // resume holds the call as unknown_outcome. The ledger line is written before the hold, as a payment
    // that went through before the crash would be.
    const r = writeManagedRoles({
      clerkTurns: [{ call: 'ledger.append', args: { entry: 'refund 50', amount: 50, hold: 'h1' } }, done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'looks fine, run it' } }, done],
    });
    await killCliAt(['run', r.clerk, '--json', '--data-dir', r.dataDir], join(r.workspace, 'reached-h1'));
    writeFileSync(join(r.workspace, 'release-h1'), '');
    assert.deepEqual(r.ledger(), ['refund 50']);
    const clerkId = await inStore(r.dataDir, async (s) => (await s.listRuns())[0]!.id);

    const resumed = await runCli(['resume', clerkId, '--json', '--data-dir', r.dataDir]);
    const s = json<{ status: string; escalations: { id: string; category: string; status: string }[] }>(
      resumed,
    );
    // Before, the lead's allow re-ran the call: the refund was paid twice.
    assert.equal(s.status, 'escalated', resumed.stderr);
    assert.deepEqual(r.ledger(), ['refund 50']);
    const esc = s.escalations[0]!;
    assert.deepEqual([esc.category, esc.status], ['unknown_outcome', 'pending']);
    const hops = await inStore(r.dataDir, async (st) =>
      (await st.loadRun(clerkId))!.steps
        .filter((x) => x.kind === 'escalation_hop')
        .map((x) => ({ to: String(x.data.to), why: String(x.data.why) })),
    );
    assert.deepEqual(
      hops.map((h) => h.to),
      ['manager', 'humans'],
    );
    assert.match(hops[1]!.why, /outcome is unknown/);

    // The person checked: it went through. The call is not run again.
    const answered = await runCli(['answer', esc.id, 'it went through', '--json', '--data-dir', r.dataDir]);
    assert.equal(json<{ status: string }>(answered).status, 'succeeded', answered.stderr);
    assert.deepEqual(r.ledger(), ['refund 50']);
  });
});
