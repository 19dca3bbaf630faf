// Restarting a failed run (a continuous agent's restart, a crash loop) and parking one for a human.
// Both are ordinary commits on the run, fenced by its seq: a restarted run continues from its last
// persisted step, so tool calls that completed are not repeated.
import { type Clock, ID_PREFIX, type IdSource } from '../clock.js';
import { NightshiftError } from '../errors.js';
import { type EscalationRoute, raiseEscalation } from '../escalations/raise.js';
import { idForMessage } from '../message-text.js';
import type { HumanPath } from '../notifications/enqueue.js';
import type { EscalationRecord, RunError, RunRecord, Store } from '../store/types.js';
import { cancelChildrenOfEnded } from './cancel.js';
import { RunState } from './state.js';

async function load(store: Store, runId: string): Promise<RunState> {
  const snapshot = await store.loadRun(runId);
  if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(runId)}`);
  return new RunState(snapshot);
}

/** Makes a failed run runnable again (attempt + 1); other runs are left as they are. */
export async function reopenRun(store: Store, clock: Clock, runId: string, why: string): Promise<void> {
  const state = await load(store, runId);
  if (state.run.status !== 'failed') return;
  const b = state.batch(clock.now());
  b.step('run_retry_scheduled', { attempt: state.run.attempt, nextAttempt: state.run.attempt + 1, why });
  b.set({ status: 'running', attempt: state.run.attempt + 1, finishedAt: null, notBefore: null });
  await state.commit(store, b);
}

/** Fails a run for good (a worker kept dying while executing it); returns the failed run. */
export async function failRun(
  store: Store,
  clock: Clock,
  runId: string,
  error: RunError,
  /** The attempt to record instead of the run's (a crash loop's: the last that ran, not the one refused). */
  attempt?: number,
): Promise<RunRecord> {
  const state = await load(store, runId);
  const b = state.batch(clock.now());
  b.step('run_finished', { status: 'failed', output: null, error });
  b.set({ status: 'failed', error, finishedAt: b.at, leaseOwner: null, leaseUntil: null });
  if (attempt !== undefined) b.set({ attempt });
  await state.commit(store, b);
  await cancelChildrenOfEnded(store, clock, state.run);
  return state.run;
}

/** Pauses a run with an escalation to a human (ops): answering it lets the run, and its agent, go on. */
export async function escalateRun(
  store: Store,
  clock: Clock,
  ids: IdSource,
  input: {
    runId: string;
    reason: string;
    context: Record<string, unknown>;
    /** Where it goes: the role's manager agent, or people (the default). */
    route?: EscalationRoute;
  },
  /** Who the role's people are, to tell them in the same commit (the outbox). */
  path?: HumanPath,
): Promise<EscalationRecord> {
  const state = await load(store, input.runId);
  const b = state.batch(clock.now());
  const record = raiseEscalation(
    b,
    ids.next(ID_PREFIX.escalation),
    { runId: input.runId, role: state.run.role },
    {
      category: 'high_impact',
      reason: input.reason,
      missing: 'a decision whether the agent should try again (answer to restart it)',
      source: 'agent_failures',
      callKey: null,
      context: input.context,
    },
    input.route ?? 'humans',
    path,
  );
  b.set({ status: 'escalated', finishedAt: null, leaseOwner: null, leaseUntil: null });
  await state.commit(store, b);
  return record;
}
