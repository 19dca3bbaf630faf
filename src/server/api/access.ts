// Who is calling the API and what they may do. The API asks one question per request, before it reads
// the body or touches the store: who is this (401 when nobody), and may they do this (403). Tokens, their
// scopes and the people they are bound to belong to src/auth/; this is the seam the API reads them through.
import type { IncomingMessage } from 'node:http';

/** What a token may do (issue 14): read runs, send events, decide approvals/escalations, operate runs. */
export const API_SCOPES = ['runs:read', 'events:send', 'decide', 'operate'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** The authenticated caller: a named person from the config, or a service. */
export interface Caller {
  /** The person's name (what approvals record as `decidedBy`) or the service's. */
  name: string;
  kind: 'person' | 'service';
  scopes: readonly ApiScope[];
}

export interface ApiAccess {
  /**
   * The caller the request's credentials name. Throws ApiRefusal 401 when there are none, they are
   * unknown, expired or revoked.
   */
  authenticate(req: IncomingMessage): Promise<Caller>;
}

/** A refusal before anything is read or changed: 401 (who are you) or 403 (not you). */
export class ApiRefusal extends Error {
  constructor(
    readonly status: 401 | 403,
    readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN',
    message: string,
  ) {
    super(message);
  }
}

/** Refuses (403) a caller whose token lacks `scope`. */
export function requireScope(caller: Caller, scope: ApiScope): void {
  if (!caller.scopes.includes(scope))
    throw new ApiRefusal(
      403,
      'FORBIDDEN',
      `this token (${caller.name}) lacks the scope '${scope}': create one with nightshift token create --as ${caller.name} --scope ${scope}`,
    );
}

/** Used when serve has no way to check tokens: every request is refused, never let through. */
export const noAccess: ApiAccess = {
  async authenticate() {
    throw new ApiRefusal(401, 'UNAUTHENTICATED', 'this server has no API tokens configured');
  },
};
