// What happens to a run when driving it throws something the loop did not expect (a bug, a schema that
// cannot be compiled, a role that cannot be prepared on this worker): it is recorded once, never left
// `running` for the next worker to take over and trip over again (a crash loop). Infrastructure errors
// (the store failed) are retried with the role's backoff by workers; everything else fails the run at
// once with an error saying what it was doing.
import type { Clock } from '../clock.js';
import { NightshiftError } from '../errors.js';
import type { Retry } from '../roles/schema.js';
import { storeOutageOf } from '../store/outage.js';
import type { RunError, RunRecord, Store } from '../store/types.js';
import { cancelChildrenOfEnded } from './cancel.js';
import type { DrivenRun } from './driven-run.js';
import { backoffMs, isTransient } from './run-retry.js';
import { RunState } from './state.js';

/** The run error recorded for an unexpected exception thrown while doing `doing`. */
export function unexpectedFailure(err: unknown, doing: string): RunError {
  if (NightshiftError.isInstance(err)) {
    return {
      code: err.code,
      message: `${err.message} (while ${doing})`,
      details: { ...(err.details ?? {}), while: doing },
      ...(err.retryable === undefined ? {} : { retryable: err.retryable }),
    };
  }
  const e = err instanceof Error ? err : undefined;
  return {
    code: 'INTERNAL',
    message:
      `unexpected error while ${doing}: ${e ? `${e.name}: ${e.message}` : describe(err)}. ` +
      'The run was failed rather than retried, since it would fail the same way again; if the role is ' +
      "not the cause, it is nightshift's bug: report it with the run id and this error's details.stack",
    details: {
      while: doing,
      ...(e ? { name: e.name, stack: (e.stack ?? '').split('\n').slice(0, 12).join('\n') } : {}),
    },
  };
}

function describe(value: unknown): string {
  try {
    return `a thrown ${typeof value} (${String(value)})`;
  } catch {
    return `a thrown ${typeof value}`;
  }
}

/**
 * Records an unexpected exception from the driver loop. A worker's run whose error is transient goes
 * back to the queue with backoff (Driver.finish does that); a foreground run with a transient error is
 * left as it is (its lease lapses; `resume` continues it) and the error is rethrown. If the record
 * itself cannot be written, the original error is rethrown. So is a store outage (the database unreachable
 * or busy, the disk full) on a worker's run: not the run's fault, so it costs no attempt; the worker drives
 * the run again once writes go through (queue/worker.ts), rather than a retry being recorded here the
 * moment a statement or lock timeout lets the next write through.
 */
export async function failUnexpected(
  host: Pick<DrivenRun, 'ctx' | 'batch' | 'finish' | 'doing'>,
  err: unknown,
): Promise<void> {
  const error = unexpectedFailure(err, host.doing);
  if (isTransient(error) && !host.ctx.retryFailures) throw err;
  if (storeOutageOf(err) !== undefined) throw err;
  try {
    await host.finish(host.batch(), 'failed', null, error);
  } catch {
    throw err;
  }
}

/**
 * A claimed run that could not even be started on this worker (its role version cannot be loaded or
 * prepared here, the first commit failed): retried with backoff when transient, else failed once. Fenced
 * by the claim's lease, so a run someone else has taken since is left alone.
 */
export async function failClaimedRun(
  store: Store,
  clock: Clock,
  claimed: RunRecord,
  err: unknown,
  policy: Retry,
): Promise<void> {
  if (NightshiftError.isInstance(err) && (err.code === 'STORE_CONFLICT' || err.code === 'RUN_LEASED')) return;
  const snapshot = await store.loadRun(claimed.id).catch(() => undefined);
  if (!snapshot) throw err;
  // Its log is not read: the error may be that a step of it cannot be (StepDataInvalidError).
  const state = RunState.withoutLog(snapshot);
  const { run } = state;
  if (run.leaseOwner !== claimed.leaseOwner || run.leaseEpoch !== claimed.leaseEpoch) return;
  const error = unexpectedFailure(err, `starting run ${run.id} on this worker`);
  try {
    await commitFailedAttempt(store, clock, state, claimed, error, policy);
  } catch {
    throw err;
  }
}

/**
 * A worker's run whose drives met nothing but a busy database (statement or lock timeouts, a full pool)
 * for the worker's busy limit (queue/worker.ts): the busy time costs it an attempt, as any transient
 * failure does, so a lock that is never released or a statement that always times out ends the run with
 * STORE_BUSY after its last attempt rather than re-driving it for ever. Fenced by the run's current lease,
 * which must still be `owner`'s; the write's own failure (busy too) is thrown for the worker to wait out.
 */
export async function spendBusyAttempt(
  store: Store,
  clock: Clock,
  owner: string,
  claimed: RunRecord,
  err: unknown,
  busy: { ms: number; drives: number },
  policy: Retry,
): Promise<RunRecord | undefined> {
  const runId = claimed.id;
  const snapshot = await store.loadRun(runId);
  if (!snapshot) return undefined;
  const state = RunState.withoutLog(snapshot);
  const { run } = state;
  if (run.status !== 'running' || run.leaseOwner !== owner) return undefined;
  // The attempt this worker claimed, and only it, is charged: a takeover (a new attempt, perhaps by
  // another slot of this same process after the lease ran out) or this write's own earlier success whose
  // answer was lost has moved it on, and charging again would spend two attempts for one busy spell.
  if (run.attempt !== claimed.attempt) return undefined;
  const last = err instanceof Error ? err.message : String(err);
  const seconds = Math.round(busy.ms / 100) / 10;
  const error: RunError = {
    code: 'STORE_BUSY',
    message:
      `the database stayed busy for ${seconds} s: ${busy.drives} drive(s) of this run in a row were stopped by a ` +
      `statement or lock timeout or a full connection pool, nothing of them written (last: ${last}). ` +
      'A lock held that long or a statement that always outlasts statement_timeout is the likely cause',
    details: { busyMs: busy.ms, drives: busy.drives, attempt: run.attempt },
  };
  await commitFailedAttempt(store, clock, state, run, error, policy);
  return store.getRun(runId);
}

/** A retry with backoff when `error` is transient and attempts remain, else the run failed; lease-fenced. */
async function commitFailedAttempt(
  store: Store,
  clock: Clock,
  state: RunState,
  claimed: RunRecord,
  error: RunError,
  policy: Retry,
): Promise<void> {
  const { run } = state;
  const b = state.batch(clock.now());
  if (isTransient(error) && run.attempt < policy.maxAttempts) {
    const notBefore = b.at + backoffMs(policy, run.attempt);
    b.step('run_retry_scheduled', { attempt: run.attempt, nextAttempt: run.attempt + 1, notBefore, error });
    b.set({
      status: 'queued',
      attempt: run.attempt + 1,
      notBefore,
      error,
      leaseOwner: null,
      leaseUntil: null,
    });
  } else {
    b.step('run_finished', { status: 'failed', output: null, error });
    b.set({ status: 'failed', error, finishedAt: b.at, leaseOwner: null, leaseUntil: null });
  }
  await state.commit(store, b, (batch) => ({
    ...batch,
    lease: { owner: claimed.leaseOwner!, epoch: claimed.leaseEpoch },
  }));
  await cancelChildrenOfEnded(store, clock, state.run);
}
