// `nightshift emit <event> [json]`: a client of a running daemon's POST /events/<event>.
import type { Command } from 'commander';
import { isErrorCode, NightshiftError } from '../../errors.js';
import { textForMessage } from '../../message-text.js';
import { httpBaseUrl } from '../base-url.js';
import { type CliContext, parseJsonFlag, withCommonFlags } from '../context.js';

/**
 * The daemon's base URL: `--url`, else $NIGHTSHIFT_URL, else the default. One that is not an http(s) URL
 * is refused naming where it came from, rather than reported as "no daemon answers".
 */
function daemonUrl(flag: string | undefined): string {
  const env = process.env.NIGHTSHIFT_URL;
  const [from, value] =
    flag !== undefined
      ? ['--url', flag]
      : env
        ? ['NIGHTSHIFT_URL', env]
        : ['default', 'http://127.0.0.1:7070'];
  return httpBaseUrl(value, from, "the daemon's address");
}

/**
 * The daemon's refusal as the CLI's error: its own code and message when the body is the API's error shape
 * (`{"error": {"code", "message"}}`), so `error [STORE_BUSY]` exits 1 and `error [INPUT_INVALID]` 2 as
 * docs/errors.md says; an HTTP-level code (BAD_REQUEST, BODY_TOO_LARGE, …) or another body (a proxy's
 * page) is a USAGE error naming the status and what the body said.
 */
async function refusal(res: Response, base: string): Promise<NightshiftError> {
  const text = await res.text().catch(() => '');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = (body as { error?: unknown } | undefined)?.error as
    | { code?: unknown; message?: unknown }
    | undefined;
  const details = { status: res.status };
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    const message = `the daemon at ${base} refused the event (HTTP ${res.status}): ${textForMessage(error.message)}`;
    if (isErrorCode(error.code)) return new NightshiftError(error.code, message, { details });
    return new NightshiftError('USAGE', `${message} [${textForMessage(error.code)}]`, {
      details: { ...details, code: error.code },
    });
  }
  const said = text.trim() ? `: ${textForMessage(text.trim().slice(0, 200))}` : ' and an empty body';
  return new NightshiftError(
    'USAGE',
    `the daemon at ${base} refused the event: HTTP ${res.status} without a nightshift error in its body${said}`,
    { details },
  );
}

export function emitCommand(program: Command, cli: CliContext): void {
  const { io, cmd } = cli;
  // --data-dir is accepted (as by every command) and unused: the daemon at --url owns its store.
  withCommonFlags(program.command('emit <event> [json]'))
    .description('send a named event to a running daemon; roles with that event trigger get a run each')
    .option('--url <url>', 'the daemon (default: $NIGHTSHIFT_URL or http://127.0.0.1:7070)')
    .option(
      '--idempotency-key <key>',
      'a repeated event with the same key starts no second run (1-200 visible ASCII characters)',
    )
    .option('--token <token>', 'a token with events:send (default: $NIGHTSHIFT_TOKEN)')
    .action(
      async (
        event: string,
        json: string | undefined,
        flags: { url?: string; idempotencyKey?: string; token?: string; json?: boolean },
      ) => {
        // Imported when the command runs (it loads zod), not when it is declared (bench/README.md).
        const { checkIdempotencyKey } = await import('../../runtime/idempotency-key.js');
        checkIdempotencyKey(flags.idempotencyKey, '--idempotency-key');
        const body = json === undefined ? {} : parseJsonFlag(json, 'the event payload');
        const base = daemonUrl(flags.url);
        const token = flags.token ?? process.env.NIGHTSHIFT_TOKEN;
        let res: Response;
        try {
          res = await fetch(`${base}/events/${encodeURIComponent(event)}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(token ? { authorization: `Bearer ${token}` } : {}),
              ...(flags.idempotencyKey !== undefined ? { 'idempotency-key': flags.idempotencyKey } : {}),
            },
            body: JSON.stringify(body),
          });
        } catch (err) {
          throw new NightshiftError(
            'USAGE',
            `no nightshift daemon answers at ${base} (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}); start one with ${cmd} serve`,
          );
        }
        if (res.status !== 202) throw await refusal(res, base);
        const answer = (await res.json().catch(() => ({}))) as {
          runs?: { role: string; runId?: string; inboxId?: string }[];
        };
        if (flags.json) io.out(JSON.stringify(answer, null, 2));
        else if (!answer.runs?.length) io.out(`event ${event} accepted; no role listens for it`);
        else
          for (const r of answer.runs)
            io.out(
              r.runId
                ? `event ${event} → ${r.role} run ${r.runId}`
                : `event ${event} → ${r.role} inbox ${r.inboxId} (continuous agent)`,
            );
      },
    );
}
