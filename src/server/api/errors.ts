// Every API failure as `{error: {code, message}}` with the status a client can act on. Codes are the
// runtime's NightshiftError codes where one exists (same code the CLI prints), else one of the HTTP-level
// codes below; both are stable.

import { authErrorAnswer } from '../../auth/index.js';
import { isNightshiftError } from '../../errors.js';
import { textForMessage } from '../../message-text.js';
import { HttpError } from '../http-body.js';

/** Codes for refusals that happen before the runtime is asked anything. */
export type HttpErrorCode =
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'BODY_TOO_LARGE'
  | 'HEADERS_TOO_LARGE'
  | 'REQUEST_TIMEOUT'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'CURSOR_INVALID'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'METHOD_NOT_ALLOWED'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'TOO_MANY_STREAMS'
  | 'UNAVAILABLE';

/** The runtime's codes a client caused, and the status each answers with; any other code is a 500. */
const STATUS: Record<string, number> = {
  INPUT_INVALID: 400,
  USAGE: 400,
  ACTOR_INVALID: 400,
  PERSON_NOT_ALLOWED: 403,
  RUN_NOT_FOUND: 404,
  APPROVAL_NOT_FOUND: 404,
  ESCALATION_NOT_FOUND: 404,
  // No /api/v1 route takes a role name, but the MCP server answers through this table (mcp/failure.ts):
  // runs.start of a role not served is ROLE_NOT_FOUND, not INTERNAL.
  ROLE_NOT_FOUND: 404,
  VERSION_NOT_FOUND: 404,
  APPROVAL_NOT_PENDING: 409,
  ESCALATION_NOT_PENDING: 409,
  APPROVAL_MISMATCH: 409,
  RUN_LEASED: 409,
  RUN_NOT_RESUMABLE: 409,
  STORE_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 409,
};

/** The code of an HttpError that names none, by its status (a bad signature: 401, a missing secret: 503). */
const HTTP_CODE: Record<number, HttpErrorCode> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  408: 'REQUEST_TIMEOUT',
  409: 'CONFLICT',
  413: 'BODY_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  431: 'HEADERS_TOO_LARGE',
  429: 'TOO_MANY_REQUESTS',
  503: 'UNAVAILABLE',
};

/** The stable code of an HttpError's status (its own words are in its message): NOT_FOUND, FORBIDDEN, ... */
export function httpErrorCode(status: number): HttpErrorCode {
  return HTTP_CODE[status] ?? 'BAD_REQUEST';
}

/** A client error found by the API itself (a bad cursor, an unknown route). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: HttpErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiErrorAnswer {
  status: number;
  body: { error: { code: string; message: string } };
  headers?: Record<string, string>;
  /** Close the connection after answering (the body was not read to its end). */
  close?: boolean;
}

/** The answer for `err`, or undefined when it is not the client's doing (the caller answers 500/503). */
export function apiErrorAnswer(err: unknown): ApiErrorAnswer | undefined {
  const answer = (status: number, code: string, message: string, close = false): ApiErrorAnswer => ({
    status,
    body: { error: { code, message } },
    ...(close ? { close } : {}),
  });
  // Auth refusals as src/auth/ answers them everywhere (401 with WWW-Authenticate, 403).
  const refused = authErrorAnswer(err);
  if (refused) return refused;
  if (err instanceof ApiError) return answer(err.status, err.code, err.message);
  // A server-side HttpError (5xx other than the curated 503) is not the client's doing: its message may
  // name internals, so it is answered as a 500 INTERNAL by the caller, never passed through.
  // The HTTP layer's words can repeat what the request sent (a header's value, the character a body's JSON
  // broke at), where a C1 control or a bidi character can arrive: escaped, so the message stays one line.
  if (err instanceof HttpError && HTTP_CODE[err.status] !== undefined)
    return answer(err.status, HTTP_CODE[err.status]!, textForMessage(err.message), err.close);
  if (isNightshiftError(err) && STATUS[err.code] !== undefined)
    return answer(STATUS[err.code]!, err.code, err.message);
  return undefined;
}
