// `nightshift token create|list|revoke|login-link`: the access tokens of serve's doors (src/auth/). A
// token's secret is printed once, at create, and never again; login-link prints a one-time browser link
// instead (backed by a token of its own, so revoking that token ends the session it opens).
import type { Command } from 'commander';
import { isNightshiftError, NightshiftError } from '../../errors.js';
import type { AccessTokenRecord } from '../../store/types.js';
import { httpBaseUrl } from '../base-url.js';
import { type CliContext, type CommonFlags, withCommonFlags } from '../context.js';
import { collect } from '../repeated-options.js';

/** The token store's code, imported when a command runs, not when it is declared (bench/README.md). */
async function auth() {
  const [index, loginLink] = await Promise.all([
    import('../../auth/index.js'),
    import('../../auth/login-link.js'),
  ]);
  return { ...index, ...loginLink };
}

interface CreateFlags extends CommonFlags {
  as: string;
  scope?: string[];
  service?: boolean;
  expires?: string;
  label?: string;
}

/** What a token is shown as: never its secret or hash. */
function publicView(
  t: AccessTokenRecord,
  now: number,
  tokenState: typeof import('../../auth/index.js').tokenState,
) {
  return {
    id: t.id,
    kind: t.kind,
    name: t.name,
    scopes: t.scopes,
    label: t.label,
    state: tokenState(t, now),
    createdAt: new Date(t.createdAt).toISOString(),
    expiresAt: t.expiresAt === null ? null : new Date(t.expiresAt).toISOString(),
    revokedAt: t.revokedAt === null ? null : new Date(t.revokedAt).toISOString(),
  };
}

/** Runs the request's check; for `token create` a stranger's name also hears of `--service`. */
function checkRequest(check: () => void, mayBeService: boolean): void {
  try {
    check();
  } catch (err) {
    if (mayBeService && isNightshiftError(err) && /is not a configured person/.test(err.message))
      throw new NightshiftError('USAGE', `${err.message}, or pass --service for a service token`, {
        ...(err.details ? { details: err.details } : {}),
      });
    throw err;
  }
}

export function tokenCommand(program: Command, cli: CliContext): void {
  const { cmd } = cli;
  const token = program
    .command('token')
    .description('access tokens for serve: create (shown once), list, revoke, login-link');

  withCommonFlags(token.command('create'))
    .description('create a token for a configured person (or a service with --service); prints it once')
    .requiredOption(
      '--as <name>',
      'the person (people: in nightshift.config.yaml) or, with --service, the service',
    )
    .option(
      '--scope <scope>',
      'runs:read, events:send, decide, operate (repeat or comma-separate; default runs:read)',
      collect,
    )
    .option('--service', 'a token for a service (never gets decide)')
    .option('--expires <when>', 'never, a duration (30m, 12h, 90d) or an ISO date (default 90d)')
    .option('--label <text>', 'what the token is for, shown by token list')
    .action(async (flags: CreateFlags) => {
      const { parseScopes, parseExpiry, checkTokenRequest, issueToken, tokenState } = await auth();
      const scopes = parseScopes(flags.scope ?? ['runs:read']);
      const now = Date.now();
      const expiresAt = parseExpiry(flags.expires, now);
      const people = cli.projectConfig().people;
      const request = {
        kind: flags.service ? ('service' as const) : ('person' as const),
        name: flags.as,
        scopes,
        expiresAt,
        label: flags.label,
      };
      // Refused before the store is opened: a refused request writes nothing, not even a new store.
      checkRequest(() => checkTokenRequest(request, people, now), !flags.service);
      const rt = await cli.open(flags);
      const { token: t, secret } = await issueToken(rt.store, people, request);
      cli.print(
        flags,
        { ...publicView(t, now, tokenState), token: secret },
        `${secret}\n\ntoken ${t.id} for ${t.kind} ${t.name}, scopes ${t.scopes.join(', ')}, ${t.expiresAt === null ? 'no expiry' : `expires ${new Date(t.expiresAt).toISOString()}`}.\nIt is shown only now: keep it in a secret store. Send it as "Authorization: Bearer <token>"; revoke it with ${cmd} token revoke ${t.id}.`,
      );
    });

  withCommonFlags(token.command('list'))
    .description('list tokens (never their secrets)')
    .action(async (flags: CommonFlags) => {
      const { tokenState } = await auth();
      const rt = await cli.open(flags, { readOnly: true });
      const now = Date.now();
      const tokens = (await rt.store.listTokens()).map((t) => publicView(t, now, tokenState));
      cli.print(
        flags,
        tokens,
        tokens.length === 0
          ? `no tokens (create one with ${cmd} token create --as NAME --scope ...)`
          : tokens
              .map(
                (t) =>
                  `${t.id}  ${t.state.padEnd(7)}  ${t.kind}:${t.name}  ${t.scopes.join(',')}  ${t.expiresAt ?? 'no expiry'}${t.label ? `  ${t.label}` : ''}`,
              )
              .join('\n'),
      );
    });

  withCommonFlags(token.command('revoke <id>'))
    .description('revoke a token, and every browser session opened with it, at once')
    .action(async (id: string, flags: CommonFlags) => {
      const { revokeToken, tokenState } = await auth();
      const rt = await cli.open(flags, { createStore: false });
      const t = await revokeToken(rt.store, id);
      cli.print(
        flags,
        publicView(t, Date.now(), tokenState),
        `revoked ${t.id} (${t.kind} ${t.name}) and its sessions`,
      );
    });

  withCommonFlags(token.command('login-link'))
    .description('a one-time link that opens a browser session for a person (good once, for 15 minutes)')
    .requiredOption('--as <name>', 'the person (people: in nightshift.config.yaml)')
    .option('--scope <scope>', 'the session’s scopes, as for create (default runs:read)', collect)
    .option(
      '--url <url>',
      'where serve is reached (default: notifications.publicUrl, $NIGHTSHIFT_URL or http://127.0.0.1:7070)',
    )
    .action(async (flags: CommonFlags & { as: string; scope?: string[]; url?: string }) => {
      const { parseScopes, checkTokenRequest, issueLoginLink, LOGIN_LINK_TTL_MS } = await auth();
      const scopes = parseScopes(flags.scope ?? ['runs:read']);
      const config = cli.projectConfig();
      // Checked like emit's: `--url ftp://x` made a token and printed a link no browser opens.
      const [from, given] =
        flags.url !== undefined
          ? ['--url', flags.url]
          : config.notifications?.publicUrl
            ? ['notifications.publicUrl', config.notifications.publicUrl]
            : process.env.NIGHTSHIFT_URL
              ? ['NIGHTSHIFT_URL', process.env.NIGHTSHIFT_URL]
              : ['default', 'http://127.0.0.1:7070'];
      const base = httpBaseUrl(given, from, 'the address people reach serve at');
      // As for create: a person who may not log in is refused before the store is opened.
      const now = Date.now();
      const request = { kind: 'person' as const, name: flags.as, scopes, expiresAt: now + LOGIN_LINK_TTL_MS };
      checkRequest(() => checkTokenRequest(request, config.people, now), false);
      const rt = await cli.open(flags);
      const { url, tokenId, expiresAt } = await issueLoginLink(rt.store, config.people, {
        as: flags.as,
        scopes,
        baseUrl: base,
      });
      cli.print(
        flags,
        { url, tokenId, expiresAt: new Date(expiresAt).toISOString() },
        `${url}\n\nOpen it in your browser within 15 minutes; it works once. Token ${tokenId} backs the session (${cmd} token revoke ${tokenId} ends it).`,
      );
    });
}
