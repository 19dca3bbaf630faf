// The commands that move a paused or stuck run on: approve, reject, answer, resume, cancel. Each prints
// the run as it then is; the exit code says where it stopped (cli/exit-codes.ts).
import type { Command } from 'commander';
import type { DriveAfterDecision } from '../../approvals/hand-back.js';
import type { RunSummary } from '../../engine/summary.js';
import { NightshiftError } from '../../errors.js';
import { type CliContext, type CommonFlags, defaultActor, withCommonFlags } from '../context.js';
import { EXIT, exitCodeForStatus } from '../exit-codes.js';
import { expectIdKind } from '../id-kinds.js';
import { decidePromotion, isPromotionId } from './versions.js';

interface DriveFlags {
  here?: boolean;
  queue?: boolean;
}

/** `--here` / `--queue`: who drives the run on after the decision (decision 027); neither: by its origin. */
function withDriveFlags(cmd: Command): Command {
  return cmd
    .option('--here', 'drive the rest of the run in this process, even if it was queued for serve')
    .option('--queue', "hand the run back to serve's workers' queue, even if it was started here");
}

function driveOf(flags: DriveFlags): DriveAfterDecision {
  if (flags.here && flags.queue)
    throw new NightshiftError('USAGE', '--here and --queue exclude each other: choose who drives the run on');
  return flags.here ? 'here' : flags.queue ? 'queue' : 'auto';
}

/**
 * The head of a decision's output, and its exit code: a run handed back to the workers is the command
 * done (exit 0), not a run paused for a human.
 */
function decided(what: string, result: RunSummary): { head: string; code: number } {
  if (result.waitsForPlace) return { head: `${what}; ${placeNote(result)}\n`, code: EXIT.ok };
  if (result.status === 'queued')
    return { head: `${what}; the run is queued for serve's workers to continue\n`, code: EXIT.ok };
  return { head: `${what}\n`, code: exitCodeForStatus(result.status) };
}

/** Why a specialist's child run was not driven here (engine/place.ts), and who takes it up. */
function placeNote(result: RunSummary): string {
  const { role, concurrency } = result.waitsForPlace!;
  // Without serve nothing wakes it when a place frees: the person is told which run to resume.
  return `not driven here: ${concurrency} run(s) of ${role} are in flight (its concurrency is ${concurrency}); run ${result.runId} is queued for serve's workers or its orchestrator's driver to continue when a place frees (without serve: nightshift resume ${result.runId} once one has)`;
}

type AnswerFlags = CommonFlags & DriveFlags & { as?: string; allowCall?: boolean; withholdResult?: boolean };

export function decisionCommands(program: Command, cli: CliContext): void {
  const { io } = cli;
  withDriveFlags(withCommonFlags(program.command('approve <approval-id>')))
    .description(
      'approve a drafted change set: its calls run exactly as drafted, once, and the run continues (a prm_ id: grant a pending promotion)',
    )
    .option('--as <name>', 'who approves (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--note <text>', 'a note kept with the approval')
    .action(async (id: string, flags: CommonFlags & DriveFlags & { as?: string; note?: string }) => {
      if (isPromotionId(id)) return decidePromotion(cli, flags, id, 'grant');
      expectIdKind(id, 'approval', cli.cmd);
      const drive = driveOf(flags);
      const rt = await cli.open(flags, { createStore: false });
      const result = await rt.approve(id, {
        by: flags.as ?? defaultActor(),
        ...(flags.note ? { note: flags.note } : {}),
        drive,
      });
      const out = decided(`approved ${id}`, result);
      await cli.printRun(flags, rt, result, out.head);
      io.code = out.code;
    });

  withDriveFlags(withCommonFlags(program.command('reject <approval-id>')))
    .description('reject a drafted change set: nothing in it runs; the agent is told why')
    .requiredOption('--reason <text>', 'why (the agent sees it)')
    .option('--as <name>', 'who rejects (default: $NIGHTSHIFT_ACTOR or $USER)')
    .action(async (id: string, flags: CommonFlags & DriveFlags & { as?: string; reason: string }) => {
      if (isPromotionId(id)) return decidePromotion(cli, flags, id, 'refuse');
      expectIdKind(id, 'approval', cli.cmd);
      const drive = driveOf(flags);
      const rt = await cli.open(flags, { createStore: false });
      const result = await rt.reject(id, { by: flags.as ?? defaultActor(), reason: flags.reason, drive });
      const out = decided(`rejected ${id}`, result);
      await cli.printRun(flags, rt, result, out.head);
      io.code = out.code;
    });

  withDriveFlags(withCommonFlags(program.command('answer <escalation-id> <text>')))
    .description('answer an escalation; the run continues with the answer in its context')
    .option('--as <name>', 'who answers (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--allow-call', 'let the held tool call run once, exactly as it was asked for')
    .option(
      '--withhold-result',
      'a held result (a result rule matched): the agent gets your answer but never sees the result',
    )
    .action(async (id: string, text: string, flags: AnswerFlags) => {
      expectIdKind(id, 'escalation', cli.cmd);
      const drive = driveOf(flags);
      const rt = await cli.open(flags, { createStore: false });
      const result = await rt.answer(id, text, {
        by: flags.as ?? defaultActor(),
        allowCall: flags.allowCall === true,
        withholdResult: flags.withholdResult === true,
        drive,
      });
      const out = decided(`answered ${id}`, result);
      await cli.printRun(flags, rt, result, out.head);
      io.code = out.code;
    });

  withCommonFlags(program.command('resume <run-id>'))
    .description('continue a run from its last persisted step (after a crash)')
    .action(async (id: string, flags: CommonFlags) => {
      expectIdKind(id, 'run', cli.cmd);
      const rt = await cli.open(flags, { createStore: false });
      const result = await rt.resume(id);
      // A child at its specialist's limit is left queued (exit 3 like any run this command did not finish).
      await cli.printRun(flags, rt, result, result.waitsForPlace ? `${placeNote(result)}\n` : '');
      io.code = exitCodeForStatus(result.status);
    });

  withCommonFlags(program.command('cancel <run-id>'))
    .description('stop a run for good; nothing pending in it will run')
    .option('--reason <text>', 'why')
    .option('--as <name>', 'who cancels (default: $NIGHTSHIFT_ACTOR or $USER)')
    .action(async (id: string, flags: CommonFlags & { as?: string; reason?: string }) => {
      expectIdKind(id, 'run', cli.cmd);
      const rt = await cli.open(flags, { createStore: false });
      const result = await rt.cancel(id, {
        by: flags.as ?? defaultActor(),
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
      // Exit 0: the command did what it was asked. A run that had already ended is an error (exit 1), so a
      // script can tell the two apart; the cancelled run's own status is in the output.
      await cli.printRun(flags, rt, result);
    });
}
