// The zombie worker of the frozen-worker scenarios: the worker whose non-idempotent charge the payments
// server holds, stopped (SIGSTOP) before it makes it and kept so past its lease, then woken (SIGCONT) with
// the held request answered, as after a long GC pause or a VM stall.
import type { Served } from '../../test/support/cli.js';
import { waitFor } from '../../test/support/wait.js';
import { type Cluster, workerByPid } from './cluster.js';
import type { Held, Payments, Report } from './payments.js';

export interface FrozenHolder {
  worker: Served;
  /** The request it was stopped in. */
  held: Held;
  /** When it was stopped. */
  at: number;
}

/** Stops the worker whose charge the payments server holds at `before` (armed before the work was sent). */
export async function freezeChargeHolder(cluster: Cluster, payments: Payments): Promise<FrozenHolder> {
  const held = await payments.held('before');
  const worker = workerByPid(cluster, held.pid);
  worker.child.kill('SIGSTOP');
  return { worker, held, at: Date.now() };
}

/**
 * Answers every held request and wakes the frozen worker. Resolves with its report of the call it was
 * stopped in (what the call did once it went on), or undefined when none came within 30 s.
 */
export function wakeChargeHolder(payments: Payments, frozen: FrozenHolder): Promise<Report | undefined> {
  payments.releaseAll();
  frozen.worker.child.kill('SIGCONT');
  return waitFor(
    async () => payments.reports.find((r) => r.pid === frozen.held.pid && r.key === frozen.held.key),
    'the woken worker to finish its call',
    30_000,
  ).catch(() => undefined);
}
