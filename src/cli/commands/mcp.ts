// `nightshift mcp [paths...]`: nightshift as an MCP server over stdio (src/mcp/), for an agent such as
// Claude Code to start runs and read them. Loaded only when it runs.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE } from '../../config/project.js';
import { NightshiftError } from '../../errors.js';
import { discoverRoleFiles, uniqueRoles } from '../../roles/discover.js';
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

export function mcpCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('mcp [paths...]'))
    .description('serve nightshift to an MCP client over stdio: list roles, start and read runs, the inbox')
    .option(
      '--config <file>',
      `the project's ${CONFIG_FILE}: work from its folder (default: the current one)`,
    )
    .action(async (paths: string[], flags: CommonFlags & { config?: string }) => {
      // With --config, relative role paths are the project's, as in the .mcp.json of docs/mcp-server.md
      // (`mcp roles/ --config /path/to/project/...`): the client starts the server in a folder of its own.
      if (flags.config) enterProject(flags.config);
      const given = paths.map((p) => resolve(p));
      const loaded = [];
      for (const file of discoverRoleFiles(given.length > 0 ? given : [process.cwd()]))
        loaded.push(await cli.loadRole(file));
      const roles = uniqueRoles(loaded);
      const { serveMcpStdio } = await import('../../mcp/stdio.js');
      const runtime = await cli.open(flags);
      await serveMcpStdio({ runtime, roles, user: defaultActor(), say: cli.io.err });
    });
}
