// `serve --workers 2` forks a worker-only child; when the parent dies without a word (SIGKILL: no shutdown
// runs, no SIGTERM is sent to the children), the child must not work on alone, unseen and never stopped.
// It learns from its IPC channel closing (server/serve.ts) and exits. Checked on real processes: the child's
// pid is found through /proc, the parent SIGKILLed, and the child polled until it is gone (a generous
// bound, not a timing assertion).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { type Served, startServe } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

/** The pids whose parent is `ppid` (Linux /proc). */
function childrenOf(ppid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // `pid (comm) state ppid …`: comm may hold spaces or parentheses, so read after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppidOf = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppidOf === ppid) out.push(Number(entry));
    } catch {}
  }
  return out;
}

/** Whether `pid` still runs (a zombie, exited but not yet reaped by whoever adopted it, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

describe('serve --workers 2 when the parent dies', () => {
  let r: TestRole | undefined;
  let served: Served | undefined;
  let orphans: number[] = [];
  after(() => {
    served?.child.kill('SIGKILL');
    // Whatever the outcome, no child of this test is left behind.
    for (const pid of orphans)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    r?.cleanup();
  });

  it('the worker child exits once the parent is SIGKILLed', async () => {
    r = writeTestRole({
      name: 'orphan-bot',
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: { triggers: [{ event: 'orphan.go' }] },
    });
    served = await startServe([
      r.dir,
      '--port',
      '0',
      '--poll-ms',
      '20',
      '--workers',
      '2',
      '--data-dir',
      r.dataDir,
    ]);
    const parent = served.child.pid!;
    const workers = await waitFor(async () => {
      const kids = childrenOf(parent).filter(running);
      return kids.length > 0 ? kids : undefined;
    }, 'the worker child to be forked');
    orphans = workers;
    assert.equal(workers.length, 1);
    // The child is a worker, not something short-lived: it is still there a moment later.
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.ok(running(workers[0]!), 'the worker child runs while its parent lives');

    served.child.kill('SIGKILL');
    await served.done;
    await waitFor(
      async () => (running(workers[0]!) ? undefined : true),
      'the orphaned worker child to exit',
      30_000,
    );
  });
});
