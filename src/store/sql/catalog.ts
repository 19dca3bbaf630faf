// Cold-path statements over the tables beside the runs, for both stores (see dialect.ts): webhook
// signatures, event subscriptions, run counts.
import type { RunStatus, SubscriptionRecord } from '../types.js';
import type { Dialect, Query } from './dialect.js';

export function forgetSignatures(d: Dialect, before: number): Query {
  return { text: `DELETE FROM webhook_signatures WHERE at < ${d.param(1)}`, params: [before] };
}

/** Changes one row if the signature is new, none if it was seen (a replay). */
export function rememberSignature(d: Dialect, signature: string, at: number): Query {
  return {
    text: `INSERT INTO webhook_signatures (signature, at) VALUES (${d.param(1)}, ${d.param(2)}) ON CONFLICT DO NOTHING`,
    params: [signature, at],
  };
}

/** Forgets one remembered signature (a delivery that failed on our side, so its retry is not a replay). */
export function forgetSignature(d: Dialect, signature: string): Query {
  return { text: `DELETE FROM webhook_signatures WHERE signature = ${d.param(1)}`, params: [signature] };
}

/** Column `run_id` or `inbox_id` (one row, or none): what a delivery recorded under this key. */
export function recordedUnder(d: Dialect, idempotencyKey: string): Query {
  return {
    text: `SELECT id AS run_id, NULL AS inbox_id FROM runs WHERE idempotency_key = ${d.param(1)}
      UNION ALL SELECT NULL, id FROM inbox WHERE idempotency_key = ${d.param(2)} LIMIT 1`,
    params: [idempotencyKey, idempotencyKey],
  };
}

/** The answer of `recordedUnder`'s row. */
export function toRecorded(
  r: Record<string, unknown> | undefined,
): { runId: string } | { inboxId: string } | undefined {
  if (!r) return undefined;
  return typeof r.run_id === 'string' ? { runId: r.run_id } : { inboxId: r.inbox_id as string };
}

export function subscriptionsSince(d: Dialect, since: number): Query {
  return {
    text: `SELECT * FROM subscriptions WHERE seen_at >= ${d.param(1)} ORDER BY event, role, role_version`,
    params: [since],
  };
}

export function toSubscription(r: Record<string, unknown>): SubscriptionRecord {
  return {
    event: r.event as string,
    role: r.role as string,
    roleVersion: r.role_version as string,
    seenAt: r.seen_at as number,
  };
}

/** Columns `status` and `n`: runs per status (of one role, if given); feed the rows to `countsOf`. */
export function countRuns(d: Dialect, statuses: readonly RunStatus[], role?: string): Query {
  return role === undefined
    ? {
        text: `SELECT status, COUNT(*) AS n FROM runs WHERE status ${d.anyOf(1)} GROUP BY status`,
        params: [d.list(statuses)],
      }
    : {
        text: `SELECT status, COUNT(*) AS n FROM runs WHERE status ${d.anyOf(1)} AND role = ${d.param(2)} GROUP BY status`,
        params: [d.list(statuses), role],
      };
}
