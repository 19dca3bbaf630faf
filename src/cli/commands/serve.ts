// `nightshift serve <paths...>`: its flags; what it does is in server/serve.ts, loaded only when it runs.
import { type Command, Option } from 'commander';
import type { ServeFlags } from '../../server/serve.js';
import { type CliContext, withCommonFlags } from '../context.js';

export function serveCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('serve <paths...>'))
    .description('run as a worker: take queued runs, events and webhooks for the roles found in paths')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; env NIGHTSHIFT_HOST)')
    .option('--port <port>', 'HTTP port, 0 for any free port (default 7070; env NIGHTSHIFT_PORT)')
    .option('--workers <n>', 'worker processes on this machine (default 1; env NIGHTSHIFT_WORKERS)')
    .option('--concurrency <n>', 'runs at a time per worker process (default 4; env NIGHTSHIFT_CONCURRENCY)')
    .option('--poll-ms <ms>', 'how often to look for work queued elsewhere (default 200)')
    .option('--grace-ms <ms>', 'on SIGTERM, how long running steps get to finish (default 10000)')
    .option(
      '--lease-ms <ms>',
      'how long a dead worker keeps its runs before others take them over (default 30000)',
    )
    .option('--no-metrics', 'no GET /metrics (Prometheus) and no metrics kept')
    .option(
      '--public-url <url>',
      'where people reach serve behind a proxy; the console accepts forms from its origin (env NIGHTSHIFT_PUBLIC_URL)',
    )
    .addOption(
      new Option('--worker-only', 'no HTTP server and no cron (the extra --workers processes)').hideHelp(),
    )
    .action(async (paths: string[], flags: ServeFlags) => {
      const { serve } = await import('../../server/serve.js');
      await serve(paths, flags, {
        config: cli.projectConfig(),
        loadRole: cli.loadRole,
        open: (extra) => cli.open(flags, extra),
        say: cli.io.err,
      });
      exitOnceStopped();
    });
}

let exitWhenClosed = false;

/**
 * Called when serve has shut down (its runs stopped after the grace, back on the queue): once main has
 * closed the runtime (the hand-backs, the store, the last spans), the process exits even if something
 * still holds the event loop. A tool that ignores its abort signal (a timer or a socket of its own) would
 * otherwise keep it up until the call returns, minutes or never, while the supervisor (systemd,
 * Kubernetes) waits and then kills it. Armed only after close() settled so it never cuts a close short.
 */
export function exitOnceStopped(): void {
  exitWhenClosed = true;
}

/** main's last word, after runtime.close(): the exit code is the one main returned (process.exitCode). */
export function exitIfStopped(): void {
  if (exitWhenClosed) setTimeout(() => process.exit(), 2000).unref();
}
