// What a worker says in its log about the runs it drives, its continuous agents, and the webhooks it
// cannot verify. Each line names the run (or agent) and its role; run errors are logged as stored (secret
// values already scrubbed), and a missing secret is named, never its value. Lines about a run carry its
// trace id (derived from the run id, src/telemetry/traces/ids.ts), to find the run's spans from its log.
import type { Logger } from 'pino';
import { isNightshiftError } from '../errors.js';
import { EVENT_LOG_MESSAGES, type NightshiftEvent } from '../lifecycle-events.js';
import type { Role } from '../roles/schema.js';
import { secretNameForMessage } from '../secret-name.js';
import type { RunRecord } from '../store/types.js';
import { traceIdFor } from '../telemetry/traces/ids.js';
import { loadSecrets } from '../tools/secrets.js';

/** Logs where a run a worker drove ended up: info succeeded, warn paused or retrying, error failed. */
export function logRunOutcome(log: Logger, run: RunRecord): void {
  const base = { runId: run.id, role: run.role, traceId: traceIdFor(run.id), attempt: run.attempt };
  const error = run.error ? { code: run.error.code, error: run.error.message } : {};
  switch (run.status) {
    case 'succeeded':
      log.info({ ...base, steps: run.turns, costUsd: run.usage.costUsd }, 'run succeeded');
      return;
    case 'awaiting_approval':
      log.warn({ ...base, status: run.status }, 'run paused: waiting for approval (nightshift inbox)');
      return;
    case 'escalated':
      log.warn({ ...base, status: run.status }, 'run paused: escalated to a human (nightshift inbox)');
      return;
    case 'queued':
      // Put back in the queue by the retry policy after a transient failure (not before a later time), or
      // by a shutdown that stopped it where it was (its lease released: engine/drive.ts).
      if (run.error && run.notBefore !== null && run.notBefore >= run.updatedAt)
        log.warn({ ...base, ...error, notBefore: run.notBefore }, 'run failed; retry scheduled');
      else log.info(base, 'run stopped by the shutdown; back on the queue for the next worker');
      return;
    case 'failed':
      log.error({ ...base, ...error }, 'run failed (dead letter: nightshift runs --status failed)');
      return;
    case 'cancelled':
      log.warn(base, 'run cancelled');
      return;
    default:
      // Still `running`: this worker lost the lease and another one drives it now.
      log.debug({ ...base, status: run.status }, 'run left to another worker');
  }
}

/** Logs a continuous agent's lifecycle event at info, with the message it has always had ('agent lost'). */
export function logLifecycleEvent(log: Logger, event: NightshiftEvent): void {
  log.info(event.data, EVENT_LOG_MESSAGES[event.name]);
}

/** Logs an error a worker hit outside any run's outcome (a claim that failed, a run that threw). */
export function logWorkerError(log: Logger, err: unknown, runId?: string, role?: string): void {
  log.error(
    {
      runId,
      role,
      traceId: runId === undefined ? undefined : traceIdFor(runId),
      code: isNightshiftError(err) ? err.code : undefined,
      err: (err as Error)?.message ?? String(err),
    },
    'run failed in worker',
  );
}

/** A webhook whose signing secret this process cannot read: every delivery to it is refused (503). */
export interface UnverifiableHook {
  path: string;
  role: string;
  secret: string;
  why: string;
}

/** The webhooks of these roles whose secret is not set (or whose secrets file cannot be read) here. */
export function unverifiableHooks(roles: readonly Role[], env: NodeJS.ProcessEnv): UnverifiableHook[] {
  const out: UnverifiableHook[] = [];
  for (const role of roles) {
    for (const t of role.triggers) {
      if (!('webhook' in t)) continue;
      const { path, secret } = t.webhook;
      let why: string | undefined;
      try {
        if (loadSecrets(role, env).get(secret) === undefined)
          why = `${secretNameForMessage(secret)} is not set in the environment${role.secretsFile ? ` nor in ${role.secretsFile}` : ''}`;
      } catch (err) {
        why = (err as Error).message;
      }
      if (why !== undefined) out.push({ path, role: role.name, secret, why });
    }
  }
  return out;
}
