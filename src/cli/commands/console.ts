// `nightshift console <paths...> --as NAME`: the web console for one person on a laptop. It runs the same
// daemon as serve (one worker, on loopback only, any free port unless --port) over the project's data dir,
// and prints a one-time login link for that person once the server listens.
import type { Command } from 'commander';
import type { ServeFlags } from '../../server/serve.js';
import { type CliContext, withCommonFlags } from '../context.js';
import { exitOnceStopped } from './serve.js';

export function consoleCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('console <paths...>'))
    .description('open the web console on loopback for one person: serve the roles and print a login link')
    .requiredOption('--as <name>', 'the person who logs in (people: in nightshift.config.yaml)')
    .option('--port <port>', 'HTTP port on 127.0.0.1 (default 0: any free port)', '0')
    .action(async (paths: string[], flags: ServeFlags & { as: string }) => {
      const [{ serve }, { checkTokenRequest, LOGIN_LINK_TTL_MS }, { issueLoginLink }, { parseScopes }] =
        await Promise.all([
          import('../../server/serve.js'),
          import('../../auth/index.js'),
          import('../../auth/login-link.js'),
          import('../../auth/scopes.js'),
        ]);
      const config = cli.projectConfig();
      const scopes = parseScopes(['runs:read', 'decide']);
      // Checked before anything listens: an unknown person is exit 2, not a server with no way in.
      checkTokenRequest(
        { kind: 'person', name: flags.as, scopes, expiresAt: Date.now() + LOGIN_LINK_TTL_MS },
        config.people,
        Date.now(),
      );
      // Loopback only and one worker process: this is one person's console, not a shared daemon.
      const local: ServeFlags = { ...flags, host: '127.0.0.1', workers: '1' };
      await serve(paths, local, {
        config,
        loadRole: cli.loadRole,
        open: (extra) => cli.open(flags, extra),
        say: cli.io.err,
        async onListening(url, rt) {
          const link = await issueLoginLink(rt.store, config.people, {
            as: flags.as,
            scopes,
            baseUrl: url,
          });
          cli.io.err(
            `console for ${flags.as}: open ${link.url}\n(once, within 15 minutes; token ${link.tokenId} backs the session)`,
          );
        },
      });
      exitOnceStopped();
    });
}
