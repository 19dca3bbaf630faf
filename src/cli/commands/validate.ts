// `nightshift validate <roles...>`: every problem in the role files, with file, line and key.
import type { Command } from 'commander';
import { formatIssue } from '../../errors.js';
import { type CliContext, type CommonFlags, withCommonFlags } from '../context.js';
import { EXIT } from '../exit-codes.js';
import type { ValidateResult } from '../validate.js';

export function validateCommand(program: Command, cli: CliContext): void {
  const { io } = cli;
  // --data-dir is accepted (as by every command) and unused: validating writes nothing.
  withCommonFlags(program.command('validate <roles...>'))
    .description('check role files; prints every problem with file, line and key')
    .action(async (files: string[], flags: CommonFlags) => {
      // Imported when the command runs, not when it is declared (bench/README.md, "CLI start-up").
      const { okLine, validateFile } = await import('../validate.js');
      const results: ValidateResult[] = [];
      for (const file of files)
        results.push(
          await validateFile(file, cli.loadRole, cli.projectConfig().models, cli.projectConfig().people),
        );
      if (flags.json) io.out(JSON.stringify(results, null, 2));
      for (const r of results) {
        if (r.ok && !flags.json) io.out(okLine(r));
        // Under --json a warning is only in the JSON (`warnings`); a problem goes to stderr too (an error).
        if (!flags.json) for (const w of r.warnings ?? []) io.err(`${r.file}: ${w}`);
        if (!r.ok) for (const issue of r.issues ?? []) io.err(formatIssue({ file: r.file, ...issue }));
      }
      io.code = results.every((r) => r.ok) ? EXIT.ok : EXIT.usage;
    });
}
