// The commands that move a paused or stuck run on: approve, reject, answer, resume, cancel. Each prints
// the run as it then is; the exit code says where it stopped (cli/exit-codes.ts).
import type { Command } from 'commander';
import { type CliContext, type CommonFlags, defaultActor, withCommonFlags } from '../context.js';
import { exitCodeForStatus } from '../exit-codes.js';

export function decisionCommands(program: Command, cli: CliContext): void {
  const { io } = cli;
  withCommonFlags(program.command('approve <approval-id>'))
    .description(
      'approve a drafted change set: its calls run exactly as drafted, once, and the run continues',
    )
    .option('--as <name>', 'who approves (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--note <text>', 'a note kept with the approval')
    .action(async (id: string, flags: CommonFlags & { as?: string; note?: string }) => {
      const rt = await cli.open(flags);
      const result = await rt.approve(id, {
        by: flags.as ?? defaultActor(),
        ...(flags.note ? { note: flags.note } : {}),
      });
      await cli.printRun(flags, rt, result, `approved ${id}\n`);
      io.code = exitCodeForStatus(result.status);
    });

  withCommonFlags(program.command('reject <approval-id>'))
    .description('reject a drafted change set: nothing in it runs; the agent is told why')
    .requiredOption('--reason <text>', 'why (the agent sees it)')
    .option('--as <name>', 'who rejects (default: $NIGHTSHIFT_ACTOR or $USER)')
    .action(async (id: string, flags: CommonFlags & { as?: string; reason: string }) => {
      const rt = await cli.open(flags);
      const result = await rt.reject(id, { by: flags.as ?? defaultActor(), reason: flags.reason });
      await cli.printRun(flags, rt, result, `rejected ${id}\n`);
      io.code = exitCodeForStatus(result.status);
    });

  withCommonFlags(program.command('answer <escalation-id> <text>'))
    .description('answer an escalation; the run continues with the answer in its context')
    .option('--as <name>', 'who answers (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--allow-call', 'let the held tool call run once, exactly as it was asked for')
    .action(async (id: string, text: string, flags: CommonFlags & { as?: string; allowCall?: boolean }) => {
      const rt = await cli.open(flags);
      const result = await rt.answer(id, text, {
        by: flags.as ?? defaultActor(),
        allowCall: flags.allowCall === true,
      });
      await cli.printRun(flags, rt, result, `answered ${id}\n`);
      io.code = exitCodeForStatus(result.status);
    });

  withCommonFlags(program.command('resume <run-id>'))
    .description('continue a run from its last persisted step (after a crash)')
    .action(async (id: string, flags: CommonFlags) => {
      const rt = await cli.open(flags);
      const result = await rt.resume(id);
      await cli.printRun(flags, rt, result);
      io.code = exitCodeForStatus(result.status);
    });

  withCommonFlags(program.command('cancel <run-id>'))
    .description('stop a run for good; nothing pending in it will run')
    .option('--reason <text>', 'why')
    .option('--as <name>', 'who cancels (default: $NIGHTSHIFT_ACTOR or $USER)')
    .action(async (id: string, flags: CommonFlags & { as?: string; reason?: string }) => {
      const rt = await cli.open(flags);
      const result = await rt.cancel(id, {
        by: flags.as ?? defaultActor(),
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
      // Exit 0: the command did what it was asked. A run that had already ended is an error (exit 1), so a
      // script can tell the two apart; the cancelled run's own status is in the output.
      await cli.printRun(flags, rt, result);
    });
}
