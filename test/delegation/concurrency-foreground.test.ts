// A specialist's `concurrency` binds the foreground paths too: with one child of a `concurrency: 1`
// specialist in flight under `serve` (held inside its tool), a person's `nightshift approve` of another
// child's change set does not drive that child in the CLI process (it is queued, the person is told why,
// exit 0), and `nightshift resume <child>` leaves it queued (exit 3). Seen from outside: the tools'
// ledger and enter/exit log (test/fixtures/tools/occupancy.ts) show no second child acting meanwhile,
// and serve's workers finish both orchestrators once the place frees.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { RunRecord } from '../../src/store/types.js';
import { json, runCli, startCli, startServe } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { occupancy } from '../support/occupancy.js';
import { fixtures } from '../support/paths.js';
import { waitFor } from '../support/wait.js';

const TOOLS = [fixtures('tools', 'ledger.ts'), fixtures('tools', 'occupancy.ts')];

async function withStore<T>(dataDir: string, fn: (s: ReturnType<typeof openSqliteStore>) => Promise<T>) {
  const store = openSqliteStore({ path: join(dataDir, 'nightshift.db') });
  try {
    await store.init();
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The pending approval of `parent`'s child, once the child waits on it. */
async function childApproval(
  dataDir: string,
  parent: string,
): Promise<{ child: RunRecord; approval: string }> {
  return waitFor(
    () =>
      withStore(dataDir, async (store) => {
        const child = (await store.listRuns({ limit: 100 })).find((r) => r.parentRunId === parent);
        if (child?.status !== 'awaiting_approval') return undefined;
        const approval = (await store.loadRun(child.id))!.approvals.find((a) => a.status === 'pending');
        return approval ? { child, approval: approval.id } : undefined;
      }),
    `the child of ${parent} to wait for approval`,
    30_000,
  );
}

function ledger(workspace: string): string[] {
  const file = join(workspace, 'ledger.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe("a specialist's concurrency on the foreground paths", () => {
  it('approve and resume from the CLI leave a child queued while its specialist is at its limit', async () => {
    const t = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['slow'],
        extra: { triggers: [{ event: 'ticket.opened' }], toolModules: TOOLS },
        turns: [{ call: 'delegate.slow', args: { task: 't' } }, { final: { done: true } }],
      },
      {
        name: 'slow',
        autonomy: 'full',
        tools: ['payments.send', 'ledger.append_once', 'slot.occupy'],
        input: TASK_INPUT,
        extra: { concurrency: 1, toolModules: TOOLS },
        turns: [
          // Needs a person's approval (approval: always), then holds inside its tool until released.
          { call: 'payments.send', args: { entry: 'p' } },
          { call: 'ledger.append_once', args: { entry: 'in', hold: 'x' } },
          { call: 'slot.occupy', args: { who: 'slow', ms: 200 } },
          { final: { ok: true } },
        ],
      },
    ]);
    const data = ['--data-dir', t.dataDir];
    // B: an orchestrator run in the foreground; its child waits for approval (exit 3).
    const b = await runCli(['run', t.file('desk'), '--input', '{}', '--json', ...data]);
    assert.equal(b.code, 3, b.stderr);
    const deskB = json<{ runId: string }>(b).runId;
    const { child: childB, approval: approvalB } = await childApproval(t.dataDir, deskB);

    const served = await startServe([t.dir, '--port', '0', '--concurrency', '4', '--poll-ms', '20', ...data]);
    let approving: ReturnType<typeof startCli> | undefined;
    try {
      // A: an orchestrator serve runs; its child's approval hands it to serve's workers, which drive it
      // into its held call: the specialist's one place is taken.
      const res = await fetch(new URL('/events/ticket.opened', served.url), {
        method: 'POST',
        headers: { ...served.auth, 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(res.status, 202);
      const deskA = ((await res.json()) as { runs: { runId: string }[] }).runs[0]!.runId;
      const { approval: approvalA } = await childApproval(t.dataDir, deskA);
      const a = await runCli(['approve', approvalA, ...data]);
      assert.equal(a.code, 0, a.stderr);
      await waitFor(
        async () => existsSync(join(t.workspace, 'reached-x')) || undefined,
        'child A in its call',
      );
      assert.deepEqual(ledger(t.workspace).length, 2, 'child A paid and is inside its call');

      // The person approves B's change set (a foreground run: by default the CLI would drive it on).
      approving = startCli(['approve', approvalB, ...data]);
      let outcome: 'exited' | 'B acted' | undefined;
      while (!outcome) {
        if (approving.child.exitCode !== null) outcome = 'exited';
        else if (ledger(t.workspace).length > 2) outcome = 'B acted';
        else await sleep(20);
      }
      assert.equal(
        outcome,
        'exited',
        `B acted while A held the one place: ${ledger(t.workspace).join(' | ')}`,
      );
      const approved = await approving.done;
      assert.equal(approved.code, 0, approved.stderr);
      assert.match(
        approved.stdout,
        /approved apr_\w+; not driven here: 1 run\(s\) of slow are in flight \(its concurrency is 1\); run run_\w+ is queued/,
      );
      assert.equal(ledger(t.workspace).length, 2, 'nothing of B ran');
      const queuedB = await withStore(t.dataDir, (s) => s.getRun(childB.id));
      assert.equal(queuedB?.status, 'queued');
      assert.equal(queuedB?.leaseOwner, null);

      // `resume <child>` while the place is still taken: left queued, told why, exit 3.
      const resumed = await runCli(['resume', childB.id, ...data]);
      assert.equal(resumed.code, 3, resumed.stderr);
      assert.match(resumed.stdout, /not driven here: 1 run\(s\) of slow are in flight/);
      assert.match(resumed.stdout, /status: queued/);
      assert.equal(ledger(t.workspace).length, 2, 'nothing of B ran');

      // The place frees: serve's workers take B up, and both orchestrators finish.
      writeFileSync(join(t.workspace, 'release-x'), '');
      await waitFor(
        () =>
          withStore(t.dataDir, async (s) => {
            const [ra, rb] = [await s.getRun(deskA), await s.getRun(deskB)];
            return ra?.status === 'succeeded' && rb?.status === 'succeeded' ? true : undefined;
          }),
        'both orchestrators to succeed',
        60_000,
      );
      assert.deepEqual(occupancy(t.workspace), { most: 1, entered: 2, left: 2 });
    } finally {
      if (approving?.child.exitCode === null) approving.child.kill('SIGKILL');
      // A failed assertion must not leave a child held: serve's shutdown would wait for it.
      writeFileSync(join(t.workspace, 'release-x'), '');
      served.child.kill('SIGTERM');
      await served.done;
    }
  });
});

describe('an orchestrator waiting for a place for its child', () => {
  it('stops when its maxSeconds is spent while it waits (onExceed: fail), not only at the join; its queued child is cancelled', async () => {
    const t = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['slow'],
        extra: {
          triggers: [{ event: 'ticket.opened' }],
          toolModules: TOOLS,
          budget: { maxSteps: 10, maxCostUsd: 1, maxSeconds: 2, onExceed: 'fail' },
        },
        turns: [{ call: 'delegate.slow', args: { task: 't' } }, { final: { done: true } }],
      },
      {
        name: 'slow',
        autonomy: 'full',
        tools: ['ledger.append_once'],
        input: TASK_INPUT,
        extra: { concurrency: 1, toolModules: TOOLS },
        turns: [{ call: 'ledger.append_once', args: { entry: 'in', hold: 'x' } }, { final: { ok: true } }],
      },
    ]);
    const served = await startServe([
      t.dir,
      '--port',
      '0',
      '--concurrency',
      '4',
      '--poll-ms',
      '20',
      '--data-dir',
      t.dataDir,
    ]);
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(new URL('/events/ticket.opened', served.url), {
          method: 'POST',
          headers: { ...served.auth, 'content-type': 'application/json' },
          body: '{}',
        });
        assert.equal(res.status, 202);
      }
      // One child holds the place (never released here); the other orchestrator's wait ends with its time.
      const failed = await waitFor(
        () =>
          withStore(t.dataDir, async (s) =>
            (await s.listRuns({ limit: 100 })).find((r) => r.role === 'desk' && r.status === 'failed'),
          ),
        'the waiting orchestrator to fail on its time budget',
        60_000,
      );
      assert.equal(failed.error?.code, 'BUDGET_EXCEEDED');
      assert.equal(ledger(t.workspace).length, 1, 'the held child is still the only one that acted');
      // Its queued child is cancelled with it: nobody is left to read its result.
      const orphan = await waitFor(
        () =>
          withStore(t.dataDir, async (s) => {
            const child = (await s.listRuns({ limit: 100 })).find((r) => r.parentRunId === failed.id);
            return child?.status === 'queued' ? undefined : child;
          }),
        "the failed orchestrator's child to leave the queue",
        30_000,
      );
      assert.equal(orphan.status, 'cancelled', `the child ${orphan.status}`);
      assert.match(orphan.error?.message ?? '', /its parent run \S+ failed \(BUDGET_EXCEEDED\)/);
      // The place frees: the held child finishes, and serve's workers never take the cancelled child up
      // (before, they drove it: a second entry in the ledger, for a result nobody reads).
      writeFileSync(join(t.workspace, 'release-x'), '');
      await waitFor(
        () =>
          withStore(t.dataDir, async (s) =>
            (await s.listRuns({ limit: 100 })).find((r) => r.role === 'slow' && r.status === 'succeeded'),
          ),
        'the held child to finish',
        60_000,
      );
      await sleep(500);
      assert.equal(ledger(t.workspace).length, 1, 'the cancelled child never acted');
      assert.equal((await withStore(t.dataDir, (s) => s.getRun(orphan.id)))?.status, 'cancelled');
    } finally {
      writeFileSync(join(t.workspace, 'release-x'), '');
      served.child.kill('SIGTERM');
      await served.done;
    }
  });
});

describe('a limited orchestrator continued up the chain from the CLI', () => {
  it("approving its child's change set leaves it queued while its role is at its concurrency", async () => {
    // top → mid (concurrency 1) → bot (drafts a write: a person approves it). Two chains paused in bot.
    const t = writeRoleTree([
      {
        name: 'top',
        autonomy: 'full',
        specialists: ['mid'],
        turns: [{ call: 'delegate.mid', args: { task: 't' } }, { final: { done: true } }],
      },
      {
        name: 'mid',
        autonomy: 'full',
        specialists: ['bot'],
        tools: ['slot.occupy'],
        input: TASK_INPUT,
        extra: { concurrency: 1, toolModules: TOOLS },
        turns: [
          { call: 'delegate.bot', args: { task: 'b' } },
          { call: 'slot.occupy', args: { who: 'mid', ms: 15_000 } },
          { final: { ok: true } },
        ],
      },
      {
        name: 'bot',
        autonomy: 'draft',
        tools: ['fs.write'],
        input: TASK_INPUT,
        turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: { ok: true } }],
      },
    ]);
    const data = ['--data-dir', t.dataDir];
    const chain = async () => {
      const r = await runCli(['run', t.file('top'), '--input', '{}', '--json', ...data]);
      assert.equal(r.code, 3, r.stderr);
      const top = json<{ runId: string }>(r).runId;
      const mid = await waitFor(
        () =>
          withStore(t.dataDir, async (s) =>
            (await s.listRuns({ limit: 100 })).find((x) => x.parentRunId === top),
          ),
        'mid',
      );
      return { top, mid: mid.id, ...(await childApproval(t.dataDir, mid.id)) };
    };
    const c = await chain();
    const b = await chain();
    // C's approval, driven in its own CLI: bot C ends, mid C goes on into its long call (the one place).
    const approvingC = startCli(['approve', c.approval, ...data]);
    try {
      await waitFor(
        async () => (occupancy(t.workspace).entered >= 1 ? true : undefined),
        'mid C in its call',
        60_000,
      );
      // B's approval: bot B ends; its parent mid B must not take the place mid C holds.
      const approvedB = await runCli(['approve', b.approval, ...data]);
      assert.equal(approvedB.code, 0, approvedB.stderr);
      assert.match(
        approvedB.stdout,
        /not driven here: 1 run\(s\) of mid are in flight \(its concurrency is 1\)/,
      );
      const midB = await withStore(t.dataDir, (s) => s.getRun(b.mid));
      assert.equal(midB?.status, 'queued', 'mid B waits for the place');
      assert.equal(occupancy(t.workspace).most, 1, 'one mid in its call at a time');
      const doneC = await approvingC.done;
      assert.equal(doneC.code, 0, doneC.stderr);
      // The place is free: `resume` of mid B finishes it, and its orchestrator with it.
      const resumed = await runCli(['resume', b.mid, '--json', ...data]);
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal((await withStore(t.dataDir, (s) => s.getRun(b.top)))?.status, 'succeeded');
      assert.deepEqual(occupancy(t.workspace), { most: 1, entered: 2, left: 2 });
    } finally {
      if (approvingC.child.exitCode === null) approvingC.child.kill('SIGKILL');
    }
  });
});
