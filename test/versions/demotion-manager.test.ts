// A manager agent's allow does not outlive a demotion (docs/autonomy.md, "A demotion reaches paused
// runs"): only a person's decision does. Under workers, one phase at a time so the demotion lands exactly
// between the manager's decision and the held call's run: a worker serving only the clerk drives it to
// its escalation; one serving only the lead lets the manager decide (the clerk is queued, nobody serves
// it); the clerk is demoted through the CLI; a worker serving the clerk again takes it up.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import type { Role } from '../../src/roles/schema.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { done, refund, writeManagedRoles } from '../support/managed-roles.js';
import { decidePromotion, versionWriter } from '../support/versions.js';
import { waitFor } from '../support/wait.js';

/** Runs a worker serving `roles` until `until` returns a value, then stops it. */
async function workUntil<T>(
  rt: Runtime,
  roles: Role[],
  until: () => Promise<T | undefined>,
  what: string,
): Promise<T> {
  const stop = new AbortController();
  const work = rt.work({ roles, concurrency: 1, pollMs: 20, signal: stop.signal });
  work.wake();
  try {
    return await waitFor(until, what, 60_000);
  } finally {
    stop.abort();
    await work.done;
  }
}

describe("a manager's allow after a demotion", () => {
  it('is judged again at the lower rung: the refund the lead allowed is not run at draft', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done],
    });
    const data = ['--data-dir', r.dataDir];
    const clerk = await loadRoleFile(r.clerk);
    const lead = await loadRoleFile(r.lead);
    const rt = await createRuntime({ dataDir: r.dataDir });
    let runId: string;
    try {
      runId = (await rt.enqueue(clerk, {})).runId;
      await workUntil(
        rt,
        [clerk],
        async () => ((await rt.get(runId))?.run.status === 'escalated' ? true : undefined),
        'the clerk to escalate',
      );
      const escalation = await workUntil(
        rt,
        [lead],
        async () => {
          const snap = (await rt.get(runId))!;
          const e = snap.escalations[0];
          return e?.status === 'answered' && snap.run.status === 'queued' ? e : undefined;
        },
        'the lead to decide',
      );
      assert.match(escalation.answeredBy ?? '', /^manager:lead\//);
      assert.deepEqual(r.ledger(), [], 'nothing ran before the demotion');
    } finally {
      await rt.close();
    }

    const versions = versionWriter(r.clerk, data);
    await versions.known();
    await decidePromotion(['promote', 'clerk', await versions.next({ autonomy: 'draft' })], data);

    const again = await createRuntime({ dataDir: r.dataDir });
    try {
      const snap = await workUntil(
        again,
        [clerk],
        async () => {
          const s = (await again.get(runId))!;
          return s.run.status === 'queued' || s.run.status === 'running' ? undefined : s;
        },
        'the clerk to be driven again',
      );
      assert.deepEqual(r.ledger(), [], "the lead's allow ran the refund at draft");
      const call = snap.toolCalls.find((c) => c.tool === 'ledger.append')!;
      assert.equal(call.status, 'denied');
      assert.match(call.reason ?? '', /demoted from 'full' to 'draft'.*decided again at 'draft': escalate/);
      assert.equal(snap.run.status, 'succeeded');
    } finally {
      await again.close();
    }
  });
});
