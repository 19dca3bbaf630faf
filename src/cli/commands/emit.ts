// `nightshift emit <event> [json]`: a client of a running daemon's POST /events/<event>.
import type { Command } from 'commander';
import { NightshiftError } from '../../errors.js';
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
        const answer = (await res.json().catch(() => ({}))) as {
          runs?: { role: string; runId?: string; inboxId?: string }[];
          error?: string | { code: string; message: string };
        };
        if (res.status !== 202)
          throw new NightshiftError(
            'USAGE',
            `the daemon refused the event: HTTP ${res.status} ${typeof answer.error === 'object' ? answer.error.message : (answer.error ?? '')}`,
          );
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
