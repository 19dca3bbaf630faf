// Under a worker (what `nightshift serve` runs), manager runs are queued and driven by the workers, and a
// manager that has not decided within `manager.timeout` hands the matter to people (the worker's sweep).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { writeManagedRoles } from '../support/managed-roles.js';
import { waitFor } from '../support/wait.js';

const done = { final: { summary: 'done' } };
const refund = (amount: number) => ({ call: 'ledger.append', args: { entry: `refund ${amount}`, amount } });

describe('manager runs under a worker', () => {
  it('the worker drives the manager run, then the escalated run once the manager decided', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
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
      assert.equal(leads.length, 1);
      assert.equal(leads[0]!.status, 'succeeded');
    } finally {
      stop.abort();
      await rt.close();
    }
  });

  it('cancelling the escalated run closes its manager run, which decides nothing afterwards', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'too late' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    const stop = new AbortController();
    try {
      const clerk = await loadRoleFile(r.clerk);
      // No worker serves the lead yet: its run waits, queued, as a busy or slow manager's would.
      const work = rt.work({ roles: [clerk], concurrency: 1, pollMs: 20, signal: stop.signal });
      const queued = await rt.enqueue(clerk, {});
      work.wake();
      const manager = await waitFor(async () => (await rt.list({ role: 'lead' }))[0], 'the manager run');
      assert.equal(manager.status, 'queued');
      const cancelled = await rt.cancel(queued.runId, { by: 'dana', reason: 'customer withdrew' });
      assert.equal(cancelled.status, 'cancelled');
      // Before, the manager run stayed queued: a worker serving the lead then ran it (its model's turns
      // spent) only for every decision tool to be refused.
      const after = (await rt.get(manager.id))!.run;
      assert.equal(after.status, 'cancelled');
      assert.match(after.error!.message, /cancelled by dana/);
      assert.equal((await rt.get(manager.id))!.steps.filter((s) => s.kind === 'model_turn').length, 0);
      assert.deepEqual(r.ledger(), []);
    } finally {
      stop.abort();
      await rt.close();
    }
  });

  it('a manager that does not decide in time passes the matter to people; the run waits for them', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'too late' } }, done],
      manager: { role: './lead.yaml', timeout: '1s' },
    });
    const rt = await createRuntime({ dataDir: r.dataDir });
    const stop = new AbortController();
    try {
      const clerk = await loadRoleFile(r.clerk);
      // No worker serves the lead here: its run is queued and nobody decides.
      const work = rt.work({ roles: [clerk], concurrency: 1, pollMs: 20, signal: stop.signal });
      const queued = await rt.enqueue(clerk, {});
      work.wake();
      const up = await waitFor(async () => {
        const snap = (await rt.get(queued.runId))!;
        return snap.steps.find((s) => s.kind === 'escalation_hop' && s.data.to === 'humans');
      }, 'the hop to people');
      assert.match(String(up.data.why), /did not decide within 1 s/);
      const snap = (await rt.get(queued.runId))!;
      assert.equal(snap.run.status, 'escalated');
      assert.equal(snap.escalations[0]!.status, 'pending');
      const lead = (await rt.list({ role: 'lead' }))[0]!;
      assert.equal(lead.status, 'cancelled');
      assert.deepEqual(r.ledger(), []);
    } finally {
      stop.abort();
      await rt.close();
    }
  });
});
