// Leases make one run execute in one place. A lease whose holder is a dead process on this same host is
// taken over at once (a `kill -9` must not lock a run until the lease times out); any other live lease
// is respected until it expires.

import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { NightshiftError } from '../errors.js';
import type { EngineContext } from './drive.js';

export function newLeaseOwner(): string {
  return `${hostname()}/${process.pid}/${randomBytes(4).toString('hex')}`;
}

export function holderIsDeadHere(owner: string): boolean {
  const [host, pidText] = owner.split('/');
  if (host !== hostname()) return false;
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export async function acquireLease(ctx: EngineContext, runId: string): Promise<void> {
  const now = ctx.clock.now();
  if (await ctx.store.claimRun(runId, ctx.owner, now + ctx.leaseMs, now)) return;
  const run = await ctx.store.getRun(runId);
  if (run?.leaseOwner && holderIsDeadHere(run.leaseOwner)) {
    if (await ctx.store.stealRun(runId, run.leaseOwner, ctx.owner, now + ctx.leaseMs)) return;
  }
  const until = run?.leaseUntil ? new Date(run.leaseUntil).toISOString() : 'unknown';
  throw new NightshiftError(
    'RUN_LEASED',
    `run ${runId} is being executed by ${run?.leaseOwner ?? 'another worker'} (lease until ${until}); try again after that`,
  );
}
