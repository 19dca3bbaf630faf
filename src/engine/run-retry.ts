// Job-mode retries. A run that fails for a transient reason (the provider's retries ran out, the model
// call threw) is put back in the queue with exponential backoff, up to the role's `retry.maxAttempts`;
// the retry continues from the last persisted step, so completed tool calls are never repeated. Failures
// that would fail again the same way (invalid output, an exceeded budget, a bad request) are final.
// (Retrying one provider request inside a model turn is models/http-retry.ts.)

import type { Role } from '../roles/schema.js';
import { Retry } from '../roles/schema.js';
import type { RunError } from '../store/types.js';

const DEFAULT_RUN_RETRY = Retry.parse({});

/** The role's retry policy (roles stored before retries existed get the defaults). */
export function retryPolicy(role: Partial<Pick<Role, 'retry'>>): Retry {
  return role.retry ?? DEFAULT_RUN_RETRY;
}

/**
 * Whether a run that failed with `error` may succeed if tried again. A model error is, unless the error says
 * it is not (a bad request, a refused key); runs failed before `retryable` was recorded carry it in details.
 */
export function isTransient(error: RunError): boolean {
  if (error.code === 'MODEL_ERROR') return (error.retryable ?? error.details?.retryable) !== false;
  return error.code === 'STORE_ERROR' || error.code === 'STORE_BUSY' || error.code === 'RUN_CRASHED';
}

/** Delay before attempt `attempt + 1`: backoffSeconds × 2^(attempt−1), capped. */
export function backoffMs(policy: Retry, attempt: number): number {
  const seconds = Math.min(policy.maxBackoffSeconds, policy.backoffSeconds * 2 ** Math.max(0, attempt - 1));
  return Math.round(seconds * 1000);
}
