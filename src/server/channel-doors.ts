// What the doors that take decisions back from people (Slack interactions, the email confirm page) need
// from the daemon: the notification settings and their secrets, the configured people, the store, and
// how to tell the worker a run can go on.
import type { Logger } from 'pino';
import { systemClock } from '../clock.js';
import type { ErrorCode, NightshiftError } from '../errors.js';
import type { DecisionDeps } from '../notifications/apply-decision.js';
import type { NotificationSettings, PersonSpec } from '../notifications/settings.js';
import type { Role } from '../roles/schema.js';
import type { Runtime } from '../runtime.js';
import type { Secrets } from '../tools/secrets.js';

export interface ChannelDoors {
  runtime: Runtime;
  roles: readonly Role[];
  env: NodeJS.ProcessEnv;
  log: Logger;
  settings: NotificationSettings;
  secrets: Secrets;
  people: readonly PersonSpec[];
  /** A decided run can go on: tell the worker. */
  wake(): void;
}

export function decisionDeps(doors: ChannelDoors): DecisionDeps {
  return { store: doors.runtime.store, clock: systemClock, roles: doors.roles, env: doors.env };
}

/** The HTTP status for a decision that was not taken. */
export function refusalStatus(code: ErrorCode): number {
  switch (code) {
    case 'DECISION_REFUSED':
    case 'ACTOR_INVALID':
      return 403;
    case 'APPROVAL_NOT_FOUND':
    case 'ESCALATION_NOT_FOUND':
      return 404;
    case 'APPROVAL_NOT_PENDING':
    case 'ESCALATION_NOT_PENDING':
    case 'APPROVAL_MISMATCH':
      return 409;
    case 'USAGE':
      return 400;
    case 'NOTIFICATION_FAILED':
      return 502;
    default:
      return 500;
  }
}

/**
 * Whether a decision failed on the server's side (a store error, a channel that failed) rather than by the
 * person's doing: its message may hold a file path, SQL or a database host, so it goes to the log and the
 * person gets a generic answer (decision 038).
 */
export function failedOnServer(err: NightshiftError): boolean {
  return refusalStatus(err.code) >= 500;
}

/** What a person is told when a decision failed on the server's side (the detail is in the server log). */
export const SERVER_FAILURE_TEXT =
  'the server could not take the decision (see its log); nothing was decided';
