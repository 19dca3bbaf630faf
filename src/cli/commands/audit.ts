// `audit`: the hash-chained audit log as JSON lines (one entry a line, with its hash and its
// predecessor's), and `audit verify`, which checks the whole chain (docs/observability.md, "Audit log").
import type { Command } from 'commander';
import { parseSince, SINCE_FORMATS } from '../../stats/since.js';
import { type CliContext, type CommonFlags, withCommonFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';

export function auditCommand(program: Command, cli: CliContext): void {
  const { io } = cli;
  const audit = withCommonFlags(program.command('audit'))
    .description(
      'export the audit log (human decisions, denials, drafts, escalations, cancels) as JSON lines',
    )
    .option('--since <when>', `only entries from then: ${SINCE_FORMATS}`)
    .option('--role <name>', "only entries of this role's runs (and about the role)")
    .action(async (flags: CommonFlags & { since?: string; role?: string }) => {
      // JSON lines whether or not --json is given: it is the export format.
      const since = flags.since === undefined ? undefined : parseSince(flags.since, Date.now());
      // Imported when the command runs, not when it is declared (bench/README.md, "CLI start-up").
      const { auditEntries, exportedEntry } = await import('../../audit/read.js');
      const rt = await cli.open(flags, { readOnly: true });
      const filter = {
        ...(since !== undefined ? { since } : {}),
        ...(flags.role ? { role: flags.role } : {}),
      };
      for await (const row of auditEntries(rt.store, filter)) io.out(JSON.stringify(exportedEntry(row)));
    });

  withCommonFlags(audit.command('verify'))
    .description('check the audit log hash chain: exit 0 when intact, 1 naming the first broken entry')
    // `--data-dir`/`--json` after `verify` are parsed by `audit` itself (its own options): read both.
    .action(async (_: CommonFlags, cmd: Command) => {
      const flags = cmd.optsWithGlobals<CommonFlags>();
      const { verifyAuditLog } = await import('../../audit/read.js');
      const rt = await cli.open(flags, { readOnly: true });
      const verdict = await verifyAuditLog(rt.store);
      if (flags.json) io.out(JSON.stringify(verdict));
      else if (verdict.ok) io.out(`audit log intact: ${verdict.count} entries`);
      else
        io.err(
          `audit log broken at entry ${verdict.broken.id}: ${verdict.broken.problem} (${verdict.count} entries before it verified)`,
        );
      io.code = verdict.ok ? EXIT.ok : EXIT.failed;
    });
}
