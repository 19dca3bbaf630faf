// `nightshift stats`: how each role (and role version) is doing, computed in the store (src/stats/).
import type { Command } from 'commander';
import { parseSince, SINCE_FORMATS } from '../../stats/since.js';
import type { StatsFilter } from '../../store/types.js';
import { type CliContext, type CommonFlags, withCommonFlags } from '../context.js';

type StatsFlags = CommonFlags & { role?: string; version?: string; since?: string };

export function statsCommand(program: Command, cli: CliContext): void {
  withCommonFlags(program.command('stats'))
    .description(
      'per role and version: runs by status, success and failure rates, latency percentiles, tool calls, cost, escalations and approvals',
    )
    .option('--role <name>', 'only this role')
    .option('--version <version>', 'only this role version (its hash or a unique prefix)')
    .option('--since <when>', `only runs created since: ${SINCE_FORMATS}`)
    .action(async (flags: StatsFlags) => {
      // Parsed before the store is opened: a bad flag fails fast, exit 2.
      const filter: StatsFilter = {
        ...(flags.role !== undefined ? { role: flags.role } : {}),
        ...(flags.version !== undefined ? { version: flags.version } : {}),
        ...(flags.since !== undefined ? { since: parseSince(flags.since, Date.now()) } : {}),
      };
      // Imported when the command runs, not when it is declared (bench/README.md, "CLI start-up").
      const [{ formatStats }, { computeStats }, { resolveVersionFilter }] = await Promise.all([
        import('../../stats/format.js'),
        import('../../stats/report.js'),
        import('../../stats/version-filter.js'),
      ]);
      const rt = await cli.open(flags, { readOnly: true });
      const report = await computeStats(rt.store, await resolveVersionFilter(rt.store, filter));
      cli.print(flags, report, formatStats(report));
    });
}
