// `serve --workers 2` forks a worker-only child; when the parent dies without a word (SIGKILL: no shutdown
// runs, no SIGTERM is sent to the children), the child must not work on alone, unseen and never stopped.
// It learns from its IPC channel closing (server/serve.ts) and exits. Checked on real processes: the child's
// pid is found through /proc, the parent SIGKILLed, and the child polled until it is gone (a generous
// bound, not a timing assertion).
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
  const made: TestRole[] = [];
  const started: Served[] = [];
  const orphans: number[] = [];
  after(() => {
    for (const served of started) served.child.kill('SIGKILL');
    // Whatever the outcome, no child of this test is left behind.
    for (const pid of orphans)
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    for (const r of made) r.cleanup();
  });

  /** Starts serve with one worker child, SIGKILLs serve once `ready` says so, and waits for the child to go. */
  async function orphan(name: string, ready: (served: Served, child: number) => boolean): Promise<void> {
    const r = writeTestRole({
      name,
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [{ final: {} }],
      extra: { triggers: [{ event: `${name}.go` }] },
    });
    made.push(r);
    const served = await startServe([
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
    started.push(served);
    const parent = served.child.pid!;
    const [child] = await waitFor(async () => {
      const kids = childrenOf(parent).filter(running);
      return kids.length > 0 ? kids : undefined;
    }, 'the worker child to be forked');
    orphans.push(child!);
    await waitFor(async () => (ready(served, child!) ? true : undefined), 'the moment to kill the parent');
    // No shutdown runs in the parent: the child is told nothing but by its IPC channel closing. (Not
    // awaiting served.done: the child shares the parent's stdout, so it closes only when the child goes.)
    served.child.kill('SIGKILL');
    await waitFor(
      async () => (running(child!) ? undefined : true),
      'the orphaned worker child to exit',
      30_000,
    );
  }

  it('the worker child exits when the parent is SIGKILLed while the child is still starting', async () => {
    await orphan('orphan-early', () => true);
  });

  it('the worker child exits when the parent is SIGKILLed after the child started working', async () => {
    await orphan(
      'orphan-late',
      (served, child) =>
        served.stdout().includes(`"pid":${child},`) && served.stdout().includes('worker started'),
    );
  });
});
