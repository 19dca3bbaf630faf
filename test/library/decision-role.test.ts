// A decision on a run whose role has inline tools (defineRole with defineTool objects, which the store does
// not keep), made in a process that does not know that role: the decision stands, and the run must not be
// left leased to a process that cannot drive it. `approve` / `answer` take the role as `resume` does, and
// `resume` refuses a role other than the one the run was recorded with.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { z } from 'zod';
import { createRuntime, defineRole, defineTool, NightshiftError } from '../../src/index.js';

let dir: string;
let ran: number[];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-decision-role-'));
  ran = [];
  writeFileSync(join(dir, 'r.script.yaml'), 'turns:\n  - call: t.w\n    args: { x: 7 }\n  - final: done\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const role = (instructions = 'i') =>
  defineRole(
    {
      name: 'r',
      description: 'd',
      autonomy: 'draft',
      model: 'script:r.script.yaml',
      instructions,
      tools: [
        defineTool({
          name: 't.w',
          description: 'writes',
          input: z.object({ x: z.number() }),
          effect: 'write',
          run: ({ x }) => {
            ran.push(x);
            return { ok: true };
          },
        }),
      ],
    },
    { dir },
  );

/** A run of `role()` waiting on its drafted call, recorded by a runtime that is then closed. */
async function drafted(): Promise<{ runId: string; approvalId: string }> {
  const first = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    const r = await first.run(role(), {});
    assert.equal(r.status, 'awaiting_approval');
    return { runId: r.runId, approvalId: r.pending[0]! };
  } finally {
    await first.close();
  }
}

test("approve in a process that does not know the role's inline tools: the decision stands, the run is handed back unleased, and resume({ role }) finishes it", async () => {
  const { runId, approvalId } = await drafted();
  const fresh = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    await assert.rejects(
      fresh.approve(approvalId, { by: 'alice' }),
      (e) => NightshiftError.isInstance(e) && e.code === 'TOOL_NOT_FOUND',
    );
    const after = await fresh.get(runId);
    assert.equal(after?.approvals[0]?.status, 'approved', 'the decision stands');
    // Before: left `running`, leased to this process for 30 s, so even resume({ role }) was RUN_LEASED.
    assert.equal(after?.run.status, 'queued');
    assert.equal(after?.run.leaseOwner, null);
    assert.deepEqual(ran, []);
    const done = await fresh.resume(runId, { role: role() });
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(ran, [7], 'the approved call ran once');
  } finally {
    await fresh.close();
  }
});

test('approve({ role }) in a fresh process drives the run on with the inline tools given', async () => {
  const { runId, approvalId } = await drafted();
  const fresh = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    const done = await fresh.approve(approvalId, { by: 'alice', role: role() });
    assert.equal(done.status, 'succeeded');
    assert.equal(done.runId, runId);
    assert.deepEqual(ran, [7]);
  } finally {
    await fresh.close();
  }
});

test('a role other than the version the run was recorded with is refused by resume and approve, before anything changes', async () => {
  const { runId, approvalId } = await drafted();
  const fresh = await createRuntime({ dataDir: join(dir, 'data') });
  try {
    const other = role('other instructions');
    const wrongVersion = (e: unknown) =>
      NightshiftError.isInstance(e) &&
      e.code === 'USAGE' &&
      e.message.includes(`was recorded with role r@`) &&
      e.message.includes(`the role given is r@${other.version}`);
    await assert.rejects(fresh.approve(approvalId, { by: 'alice', role: other }), wrongVersion);
    const still = await fresh.get(runId);
    assert.equal(still?.approvals[0]?.status, 'pending', 'nothing was decided');
    assert.equal(still?.run.status, 'awaiting_approval');
    await assert.rejects(fresh.resume(runId, { role: other }), wrongVersion);
    // Not a role at all: said as such.
    await assert.rejects(
      fresh.approve(approvalId, { by: 'alice', role: { name: 'r' } as never }),
      (e) =>
        NightshiftError.isInstance(e) &&
        e.code === 'USAGE' &&
        /role must be a role .* without 'model'/.test(e.message),
    );
    assert.deepEqual(ran, []);
  } finally {
    await fresh.close();
  }
});
