// How an authentication or authorization refusal is answered over HTTP: the status, the JSON body
// `{error: {code, message}}`, and for a 401 the WWW-Authenticate header naming the scheme.
import { isNightshiftError } from '../errors.js';

const STATUS: Partial<Record<string, number>> = {
  AUTH_REQUIRED: 401,
  AUTH_FORBIDDEN: 403,
  CSRF_INVALID: 403,
  PERSON_NOT_ALLOWED: 403,
};

export interface AuthAnswer {
  status: number;
  headers: Record<string, string>;
  body: { error: { code: string; message: string } };
}

/** The answer for an auth refusal; undefined for any other error (the caller answers it its own way). */
export function authErrorAnswer(err: unknown): AuthAnswer | undefined {
  if (!isNightshiftError(err)) return undefined;
  const status = STATUS[err.code];
  if (status === undefined) return undefined;
  return {
    status,
    headers: status === 401 ? { 'www-authenticate': 'Bearer realm="nightshift"' } : {},
    body: { error: { code: err.code, message: err.message } },
  };
}
