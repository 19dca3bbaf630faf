// What an MCP client is told when a tool or a resource read fails. Over HTTP the client is an agent
// somewhere else, holding only a token: like /api/v1 (docs/api.md), it reads the message of a refusal it
// caused (a 4xx there) and the curated store-outage answers, never a server-side failure's own text (a
// store error names the database file, SQL or a host), which goes to serve's scrubbed log instead. The
// stdio server runs as the user who started it, beside the store: it passes everything through.
import type { Logger } from 'pino';
import { redactSecrets } from '../auth/secret.js';
import { isNightshiftError } from '../errors.js';
import { apiErrorAnswer } from '../server/api/errors.js';
import { storeFailureAnswer } from '../server/store-outage.js';

/** What a client reads of a server-side failure it did not cause. */
export const INTERNAL_TEXT = 'internal error (see the server log)';

/** Whether the client may read the error as it is: stdio (no log), or a refusal the client caused. */
function shownWhole(err: unknown, log: Logger | undefined): log is undefined {
  return !log || apiErrorAnswer(err) !== undefined;
}

/** A failure as `[CODE] message`; a server-side one, with `log`, as the outage answer or INTERNAL. */
export function failureText(err: unknown, log: Logger | undefined): string {
  // A refusal may quote what the client sent (a run id), where a credential can be: redacted as the
  // HTTP doors' refusals are (server/router.ts send).
  if (shownWhole(err, log))
    return redactSecrets(
      isNightshiftError(err)
        ? `[${err.code}] ${err.message}`
        : `[INTERNAL] ${(err as Error)?.message ?? String(err)}`,
    );
  const outage = storeFailureAnswer(err)?.body.error;
  if (outage) return `[${outage.code}] ${outage.message}`;
  log.error({ err: (err as Error)?.message ?? String(err) }, 'mcp request failed');
  return `[INTERNAL] ${INTERNAL_TEXT}`;
}

/** The error to throw to the SDK (a resource read): itself when it may be shown, else its public text. */
export function publicError(err: unknown, log: Logger | undefined): unknown {
  return shownWhole(err, log) ? err : new Error(failureText(err, log));
}
