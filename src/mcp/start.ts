// runs.start: start a run through the process's doors, then wait (bounded) for it to finish or pause, so
// a short run answers with its result and a long one with its id and status while it goes on.
import { setTimeout as sleep } from 'node:timers/promises';
import { summarizeRun } from '../delegation/waiting-children.js';
import type { RunSummary } from '../engine/summary.js';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { McpDoors } from './doors.js';
import { type RunsStartInput, type RunsStartOutput, WAIT_SECONDS } from './schemas.js';

/** How often a run driven elsewhere (serve's workers) is looked at while runs.start waits. */
const POLL_MS = 100;

const going = (s: RunSummary) => s.status === 'queued' || s.status === 'running';

async function current(doors: McpDoors, runId: string): Promise<RunSummary> {
  const snapshot = await doors.runtime.get(runId);
  if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `run ${runId} vanished while being read`);
  return summarizeRun(doors.runtime.store, snapshot);
}

/** What the calling agent should do next with a run in this state. */
function nextStep(s: RunSummary): string {
  switch (s.status) {
    case 'queued':
    case 'running':
      return `still going: read it later with runs.get {"runId":"${s.runId}"}`;
    case 'awaiting_approval':
      return `waits for a person to approve or reject change set(s) ${s.pending.join(', ')}; no MCP tool can. Read it later with runs.get`;
    case 'escalated':
      return 'waits for a person (or its manager agent) to answer its escalation; no MCP tool can. Read it later with runs.get';
    case 'succeeded':
      return 'finished: its output is in `output`';
    default:
      return `ended as ${s.status}${s.error ? `: [${s.error.code}] ${s.error.message}` : ''}`;
  }
}

/** Resolves (never rejects) when the signal aborts; unresolved without one. */
function aborted(signal: AbortSignal | undefined): Promise<undefined> {
  return new Promise((resolve) => {
    if (!signal) return;
    if (signal.aborted) resolve(undefined);
    else signal.addEventListener('abort', () => resolve(undefined), { once: true });
  });
}

/**
 * Starts the run, then waits for it. `signal` is the request's (the client cancelled, or its connection
 * closed): the wait ends with it, and the run goes on as any started run does. Without it, a client that
 * went away left /mcp reading the store every 100 ms for up to 300 s, for an answer no one would read.
 */
export async function startAndWait(
  doors: McpDoors,
  role: Role,
  args: RunsStartInput,
  signal?: AbortSignal,
): Promise<RunsStartOutput> {
  // A call cancelled before it started starts nothing.
  if (signal?.aborted)
    throw new NightshiftError('USAGE', 'runs.start was cancelled by the client before the run was started');
  const started = await doors.start(role, args.input ?? {}, {
    idempotencyKey: args.idempotencyKey,
    actor: doors.actor,
  });
  const waitMs = (args.waitSeconds ?? WAIT_SECONDS.default) * 1000;
  const deadline = Date.now() + waitMs;
  const stop = aborted(signal);
  let summary: RunSummary | undefined;
  if (started.settled) {
    const timeout = sleep(waitMs, undefined, { ref: false });
    summary = await Promise.race([started.settled, timeout, stop]);
  }
  // Driven elsewhere (serve's workers), or found still going by its key: a repeated start finds the run
  // the first one drives (this process or another) and settles at once as `running`; it waits as the
  // first does, by reading the run until it stops going.
  if (!started.settled || (summary !== undefined && going(summary))) {
    summary = await current(doors, started.runId);
    while (going(summary) && Date.now() < deadline && !signal?.aborted) {
      await Promise.race([sleep(Math.min(POLL_MS, Math.max(0, deadline - Date.now()))), stop]);
      if (signal?.aborted) break;
      summary = await current(doors, started.runId);
    }
  }
  summary ??= await current(doors, started.runId);
  const { error, ...rest } = summary;
  return {
    ...rest,
    ...(error ? { error: { ...error } } : {}),
    settled: !going(summary),
    next: nextStep(summary),
  };
}
