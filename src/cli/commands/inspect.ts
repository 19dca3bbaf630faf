// The commands that only read: inbox (what waits for a human), runs, show (one run, step by step),
// status (continuous agents and the queue). What an action uses beyond its flags is imported when it runs
// (bench/README.md, "CLI start-up").
import { type Command, Option } from 'commander';
import { wholeNumber } from '../../config/whole-number.js';
import { NightshiftError } from '../../errors.js';
import { idForMessage } from '../../message-text.js';
import { RUN_STATUSES, type RunStatus } from '../../store/types.js';
import { type CliContext, type CommonFlags, withCommonFlags } from '../context.js';
import { expectIdKind } from '../id-kinds.js';

/** `inbox` is registered on its own so `--help` lists it where it always was, right after `run`. */
export function inboxCommand(program: Command, cli: CliContext): void {
  const { cmd, print } = cli;
  withCommonFlags(program.command('inbox'))
    .description('list approvals and escalations waiting for a human')
    .action(async (flags: CommonFlags) => {
      const { formatInbox } = await import('../format.js');
      const rt = await cli.open(flags, { readOnly: true });
      const inbox = await rt.inbox();
      // Promotions that widen authority wait here too (src/versions/), decided with approve / reject.
      const promotions = await rt.store.listPromotions({ status: 'pending' });
      const waiting = promotions.flatMap((p) => [
        `promotion ${p.id}: ${p.role} to ${p.version} (${p.widening.join('; ') || `asked by ${p.requestedBy}`})`,
        `    → ${cmd} approve ${p.id} --as NAME  |  ${cmd} reject ${p.id} --reason "..." --as NAME`,
      ]);
      // "Empty" only when nothing at all waits: a pending promotion is work for a human too.
      const asked =
        inbox.approvals.length + inbox.escalations.length > 0 || waiting.length === 0
          ? [formatInbox(inbox.approvals, inbox.escalations, cmd, inbox.chains)]
          : [];
      print(flags, { ...inbox, promotions }, [...asked, ...waiting].join('\n'));
    });
}

/** The largest `runs --limit`: more rows than any terminal or pipeline reads at once (a bound, not a page). */
const MAX_RUNS_LIMIT = 1_000_000;

export function inspectCommands(program: Command, cli: CliContext): void {
  const { cmd, print } = cli;
  withCommonFlags(program.command('runs'))
    .description('list runs, newest first')
    .option('--role <name>', 'only runs of this role')
    .addOption(new Option('--status <status>', 'only runs in this status').choices(RUN_STATUSES as string[]))
    .option('--limit <n>', 'at most this many', '50')
    .action(async (flags: CommonFlags & { role?: string; status?: RunStatus; limit: string }) => {
      // Digits only (not `1e2`, `0x10`), and within what the stores take: a larger number reached SQLite
      // as a float and failed there (STORE_ERROR, exit 1) instead of being refused as bad usage.
      const limit = wholeNumber(flags.limit, '--limit', 1, MAX_RUNS_LIMIT);
      const [{ formatRuns }, { listedSummary }] = await Promise.all([
        import('../format.js'),
        import('../run-summary.js'),
      ]);
      const rt = await cli.open(flags, { readOnly: true });
      const runs = await rt.list({
        ...(flags.role ? { role: flags.role } : {}),
        ...(flags.status ? { status: [flags.status] } : {}),
        limit,
      });
      // The human table needs no approvals or escalations; --json rows are full summaries.
      const rows = flags.json ? await Promise.all(runs.map((r) => listedSummary(rt.store, r))) : [];
      print(flags, rows, formatRuns(runs));
    });

  withCommonFlags(program.command('show <run-id>'))
    .description('every step of a run, and every decision with its reason')
    .action(async (id: string, flags: CommonFlags) => {
      expectIdKind(id, 'run', cmd);
      const [{ formatFamily, formatShow }, { summarizeRun }] = await Promise.all([
        import('../format.js'),
        import('../../delegation/waiting-children.js'),
      ]);
      const rt = await cli.open(flags, { readOnly: true });
      const snapshot = await rt.get(id);
      if (!snapshot)
        throw new NightshiftError('RUN_NOT_FOUND', `no run ${idForMessage(id)} (see ${cmd} runs)`);
      // A paused orchestrator's summary lists what its specialists wait on, as `run --json` does.
      const summary = await summarizeRun(rt.store, snapshot);
      // Linked both ways: a child names its parent (run and call); a parent lists its children.
      const children = (await rt.list({ parentRunId: id, limit: 10_000 })).map((c) => ({
        runId: c.id,
        role: c.role,
        status: c.status,
        parentCallKey: c.parentCallKey ?? null,
      }));
      const parent = snapshot.run.parentRunId
        ? { runId: snapshot.run.parentRunId, callKey: snapshot.run.parentCallKey ?? null }
        : null;
      print(
        flags,
        {
          ...summary,
          parent,
          children,
          run: snapshot.run,
          steps: snapshot.steps,
          toolCalls: snapshot.toolCalls,
          approvals: snapshot.approvals,
          escalationRecords: snapshot.escalations,
        },
        formatShow(snapshot, summary, cmd) + formatFamily(parent, children),
      );
    });

  withCommonFlags(program.command('status'))
    .description('continuous agents: state, holder, last heartbeat, restarts, inbox; and the queue')
    .action(async (flags: CommonFlags) => {
      const { formatAgents } = await import('../format.js');
      const rt = await cli.open(flags, { readOnly: true });
      const agents = await rt.agents();
      const counts = await rt.store.countRuns(['queued', 'running', 'failed']);
      const queue = { queued: counts.queued!, running: counts.running!, failed: counts.failed! };
      const { queued, running, failed } = queue;
      print(
        flags,
        { agents, queue },
        `${formatAgents(agents, Date.now(), cmd)}\nqueue: ${queued} queued, ${running} running, ${failed} failed (${cmd} runs --status failed)`,
      );
    });
}
