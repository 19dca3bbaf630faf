// `nightshift mcp [paths...]`: nightshift as an MCP server over stdio (src/mcp/), for an agent such as
// Claude Code to start runs and read them. Loaded only when it runs.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE } from '../../config/config-file.js';
import { NightshiftError } from '../../errors.js';
import type { McpScope } from '../../mcp/doors.js';
import { type CliContext, type CommonFlags, defaultActor, withCommonFlags } from '../context.js';

/**
 * `--config`: the project is that file's folder. MCP clients start servers from a folder of their own
 * choosing (a desktop app: the home folder), so the command moves there first; role paths, the data dir
 * and the config's own relative entries then resolve as for a command run in the project. (The --config
 * path itself is the user's: resolved where the command was started.)
 */
function enterProject(config: string): void {
  const file = resolve(config);
  const st = existsSync(file) ? statSync(file) : undefined;
  const path = st?.isDirectory() ? resolve(file, CONFIG_FILE) : file;
  if (!existsSync(path) || basename(path) !== CONFIG_FILE)
    throw new NightshiftError('USAGE', `--config ${config}: expected a ${CONFIG_FILE} file (or its folder)`);
  process.chdir(dirname(path));
}

const MCP_SCOPES: readonly McpScope[] = ['runs:read', 'events:send'];

/**
 * `--scope`: what the agent given this server may do, in a token's words (docs/security-access.md).
 * `runs:read` is always needed (on /mcp it is the scope to connect at all); `decide` and `operate` are
 * refused rather than ignored, since no MCP tool decides or operates and a user naming them expects
 * something that will not happen.
 */
export function parseMcpScopes(text: string): McpScope[] {
  const named = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const out: McpScope[] = [];
  for (const s of named) {
    if (!(MCP_SCOPES as readonly string[]).includes(s))
      throw new NightshiftError(
        'USAGE',
        `--scope ${text}: '${s}' is not a scope of the MCP server (${MCP_SCOPES.join(', ')}; no MCP tool decides or operates)`,
      );
    if (!out.includes(s as McpScope)) out.push(s as McpScope);
  }
  if (!out.includes('runs:read'))
    throw new NightshiftError(
      'USAGE',
      `--scope ${text}: runs:read is needed to serve anything (it lists roles and reads runs); add it`,
    );
  return out;
}

export function mcpCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('mcp [paths...]'))
    .description('serve nightshift to an MCP client over stdio: list roles, start and read runs, the inbox')
    .option(
      '--config <file>',
      `the project's ${CONFIG_FILE}: work from its folder (default: the current one)`,
    )
    .option(
      '--scope <scopes>',
      'what the client may do: runs:read (list roles, read runs and the inbox) and events:send (start runs, send events)',
      'runs:read,events:send',
    )
    .action(async (paths: string[], flags: CommonFlags & { config?: string; scope: string }) => {
      // Checked before anything is opened or loaded: a typo must not serve with more than was meant.
      const scopes = parseMcpScopes(flags.scope);
      // With --config, relative role paths are the project's, as in the .mcp.json of docs/mcp-server.md
      // (`mcp roles/ --config /path/to/project/...`): the client starts the server in a folder of its own.
      if (flags.config) enterProject(flags.config);
      // Imported when the command runs, not when it is declared (bench/README.md, "CLI start-up").
      const [
        { specialistsOf },
        { managersOf },
        { discoverRoleFiles, skippedRoleLine, uniqueRoles },
        startable,
      ] = await Promise.all([
        import('../../delegation/reachable.js'),
        import('../../managers/chain.js'),
        import('../../roles/discover.js'),
        import('../../server/startable-roles.js'),
      ]);
      const { namedRoleFiles, startableRoles } = startable;
      const given = paths.map((p) => resolve(p));
      const searched = given.length > 0 ? given : [process.cwd()];
      const loaded = [];
      const discovered = discoverRoleFiles(searched);
      for (const { file, workspaceOf } of discovered.skipped) cli.io.err(skippedRoleLine(file, workspaceOf));
      for (const file of discovered.files) loaded.push(await cli.loadRole(file));
      const found = uniqueRoles(loaded);
      // As on serve (server/startable-roles.ts): a manager or specialist found in a folder beside the role
      // it works for (the default, the project folder, holds them all) is not offered to the client.
      const chains = await managersOf([...found, ...specialistsOf(found)], cli.loadRole);
      const roles = startableRoles(
        found,
        new Set(chains.map((m) => m.name)),
        namedRoleFiles(searched),
      ).startable;
      const { serveMcpStdio } = await import('../../mcp/stdio.js');
      const runtime = await cli.open(flags);
      await serveMcpStdio({ runtime, roles, user: defaultActor(), scopes, say: cli.io.err });
    });
}
