// The `nightshift` command. Parses flags, opens a runtime through the public API, prints human text or
// --json, and maps outcomes to exit codes (cli/exit-codes.ts). Errors go to stderr.
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { loadProjectConfig, type ProjectConfig } from '../config/project.js';
import type { RunSummary } from '../engine/summary.js';
import { summarize } from '../engine/summary.js';
import { formatIssue, isNightshiftError, NightshiftError } from '../errors.js';
import { discoverRoleFiles } from '../roles/discover.js';
import { loadRoleFile } from '../roles/load.js';
import { createRuntime, type Runtime } from '../runtime.js';
import { RUN_STATUSES, type RunStatus } from '../store/types.js';
import { EXIT, exitCodeForError, exitCodeForStatus } from './exit-codes.js';
import { deniedCalls, formatAgents, formatInbox, formatRuns, formatShow, formatSummary } from './format.js';
import { commandName, packageVersion } from './invocation.js';
import { checkModel } from './model-check.js';
import { okLine, type ValidateResult, validateFile } from './validate.js';

interface CommonFlags {
  dataDir?: string;
  json?: boolean;
}

class Output {
  code: number = EXIT.ok;
  constructor(
    readonly out: (s: string) => void,
    readonly err: (s: string) => void,
  ) {}
}

function defaultActor(): string {
  return process.env.NIGHTSHIFT_ACTOR || process.env.USER || process.env.LOGNAME || 'cli';
}

function parseJsonFlag(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new NightshiftError('USAGE', `${flag} is not valid JSON: ${(err as Error).message}`);
  }
}

export async function main(
  argv: string[],
  io = new Output(
    (s) => process.stdout.write(`${s}\n`),
    (s) => process.stderr.write(`${s}\n`),
  ),
): Promise<number> {
  let config: ProjectConfig | undefined;
  let runtime: Runtime | undefined;
  const projectConfig = (): ProjectConfig => {
    config ??= loadProjectConfig(process.cwd());
    return config;
  };
  const open = async (
    flags: CommonFlags,
    extra: { leaseMs?: number; service?: boolean } = {},
  ): Promise<Runtime> => {
    const c = projectConfig();
    runtime = await createRuntime({
      dataDir: flags.dataDir ?? c.dataDir,
      models: c.models,
      // Sandboxed commands never see the project's config file.
      protectedPaths: c.file ? [c.file] : [],
      ...extra,
    });
    return runtime;
  };
  const loadRole = (file: string) => loadRoleFile(file, { projectToolModules: projectConfig().toolModules });
  const print = (flags: CommonFlags, json: unknown, human: string) =>
    io.out(flags.json ? JSON.stringify(json, null, 2) : human);
  // The hints we print name the command the way the user ran it (`npx nightshift …` under npx).
  const cmd = commandName();
  /** A run's summary for people: its status says how many of its calls the policy denied. */
  const printRun = async (flags: CommonFlags, rt: Runtime, result: RunSummary, head = '') => {
    if (flags.json) return print(flags, result, '');
    const snapshot = await rt.get(result.runId);
    const denied = snapshot ? deniedCalls(snapshot.toolCalls) : 0;
    io.out(`${head}${formatSummary(result, { cmd, denied })}`);
  };

  const program = new Command('nightshift')
    .description('Run background agents with bounded authority')
    .version(packageVersion(), '-v, --version', 'print the nightshift version')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s.trimEnd()), writeErr: (s) => io.err(s.trimEnd()) })
    .showHelpAfterError(`(run ${cmd} --help for usage)`);

  const common = (cmd: Command) =>
    cmd
      .addOption(
        new Option(
          '--data-dir <dir>',
          'where the embedded store lives (default: $NIGHTSHIFT_DATA_DIR or ./.nightshift)',
        ),
      )
      .option('--json', 'print JSON for pipelines');

  common(program.command('run <role>'))
    .description('run a role once, headless, until it finishes or pauses for a human')
    .option('--input <json>', 'the run input as JSON')
    .option('--input-file <path>', 'read the run input from a JSON file')
    .option(
      '--model <spec>',
      "use this model instead of the role's (e.g. script:./s.yaml, anthropic:claude-sonnet-4-5)",
    )
    .option('--idempotency-key <key>', 'a repeated run with the same key returns the first run')
    .action(
      async (
        roleFile: string,
        flags: CommonFlags & { input?: string; inputFile?: string; model?: string; idempotencyKey?: string },
      ) => {
        if (flags.input !== undefined && flags.inputFile !== undefined) {
          throw new NightshiftError('USAGE', 'give either --input or --input-file, not both');
        }
        let input: unknown = {};
        if (flags.input !== undefined) input = parseJsonFlag(flags.input, '--input');
        if (flags.inputFile !== undefined) {
          let text: string;
          try {
            text = readFileSync(flags.inputFile, 'utf8');
          } catch (err) {
            throw new NightshiftError('USAGE', `--input-file ${flags.inputFile}: ${(err as Error).message}`);
          }
          input = parseJsonFlag(text, `--input-file ${flags.inputFile}`);
        }
        // Validate the role and its model before opening the store: a bad setting writes nothing.
        const role = await loadRole(roleFile);
        const model = checkModel(flags.model ?? role.model, projectConfig().models);
        if (model.error) throw model.error;
        for (const w of model.warnings) io.err(w);
        const rt = await open(flags);
        const result = await rt.run(role, input, {
          model: flags.model,
          idempotencyKey: flags.idempotencyKey,
          actor: defaultActor(),
        });
        await printRun(flags, rt, result);
        io.code = exitCodeForStatus(result.status);
      },
    );

  common(program.command('inbox'))
    .description('list approvals and escalations waiting for a human')
    .action(async (flags: CommonFlags) => {
      const rt = await open(flags);
      const inbox = await rt.inbox();
      print(flags, inbox, formatInbox(inbox.approvals, inbox.escalations, cmd));
    });

  common(program.command('approve <approval-id>'))
    .description(
      'approve a drafted change set: its calls run exactly as drafted, once, and the run continues',
    )
    .option('--as <name>', 'who approves (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--note <text>', 'a note kept with the approval')
    .action(async (id: string, flags: CommonFlags & { as?: string; note?: string }) => {
      const rt = await open(flags);
      const result = await rt.approve(id, {
        by: flags.as ?? defaultActor(),
        ...(flags.note ? { note: flags.note } : {}),
      });
      await printRun(flags, rt, result, `approved ${id}\n`);
      io.code = exitCodeForStatus(result.status);
    });

  common(program.command('reject <approval-id>'))
    .description('reject a drafted change set: nothing in it runs; the agent is told why')
    .requiredOption('--reason <text>', 'why (the agent sees it)')
    .option('--as <name>', 'who rejects (default: $NIGHTSHIFT_ACTOR or $USER)')
    .action(async (id: string, flags: CommonFlags & { as?: string; reason: string }) => {
      const rt = await open(flags);
      const result = await rt.reject(id, { by: flags.as ?? defaultActor(), reason: flags.reason });
      await printRun(flags, rt, result, `rejected ${id}\n`);
      io.code = exitCodeForStatus(result.status);
    });

  common(program.command('answer <escalation-id> <text>'))
    .description('answer an escalation; the run continues with the answer in its context')
    .option('--as <name>', 'who answers (default: $NIGHTSHIFT_ACTOR or $USER)')
    .option('--allow-call', 'let the held tool call run once, exactly as it was asked for')
    .action(async (id: string, text: string, flags: CommonFlags & { as?: string; allowCall?: boolean }) => {
      const rt = await open(flags);
      const result = await rt.answer(id, text, {
        by: flags.as ?? defaultActor(),
        allowCall: flags.allowCall === true,
      });
      await printRun(flags, rt, result, `answered ${id}\n`);
      io.code = exitCodeForStatus(result.status);
    });

  common(program.command('resume <run-id>'))
    .description('continue a run from its last persisted step (after a crash)')
    .action(async (id: string, flags: CommonFlags) => {
      const rt = await open(flags);
      const result = await rt.resume(id);
      await printRun(flags, rt, result);
      io.code = exitCodeForStatus(result.status);
    });

  common(program.command('cancel <run-id>'))
    .description('stop a run for good; nothing pending in it will run')
    .option('--reason <text>', 'why')
    .option('--as <name>', 'who cancels (default: $NIGHTSHIFT_ACTOR or $USER)')
    .action(async (id: string, flags: CommonFlags & { as?: string; reason?: string }) => {
      const rt = await open(flags);
      const result = await rt.cancel(id, {
        by: flags.as ?? defaultActor(),
        ...(flags.reason ? { reason: flags.reason } : {}),
      });
      // Exit 0: the command did what it was asked. A run that had already ended is an error (exit 1), so a
      // script can tell the two apart; the cancelled run's own status is in the output.
      await printRun(flags, rt, result);
    });

  common(program.command('runs'))
    .description('list runs, newest first')
    .option('--role <name>', 'only runs of this role')
    .addOption(new Option('--status <status>', 'only runs in this status').choices(RUN_STATUSES as string[]))
    .option('--limit <n>', 'at most this many', '50')
    .action(async (flags: CommonFlags & { role?: string; status?: RunStatus; limit: string }) => {
      const limit = Number(flags.limit);
      if (!Number.isInteger(limit) || limit <= 0)
        throw new NightshiftError('USAGE', `--limit must be a positive integer, got '${flags.limit}'`);
      const rt = await open(flags);
      const runs = await rt.list({
        ...(flags.role ? { role: flags.role } : {}),
        ...(flags.status ? { status: [flags.status] } : {}),
        limit,
      });
      print(
        flags,
        runs.map((r) => summarize({ run: r, approvals: [], escalations: [] })),
        formatRuns(runs),
      );
    });

  common(program.command('show <run-id>'))
    .description('every step of a run, and every decision with its reason')
    .action(async (id: string, flags: CommonFlags) => {
      const rt = await open(flags);
      const snapshot = await rt.get(id);
      if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${id} (see ${cmd} runs)`);
      const summary = summarize(snapshot);
      print(
        flags,
        {
          ...summary,
          run: snapshot.run,
          steps: snapshot.steps,
          toolCalls: snapshot.toolCalls,
          approvals: snapshot.approvals,
          escalationRecords: snapshot.escalations,
        },
        formatShow(snapshot, summary, cmd),
      );
    });

  common(program.command('status'))
    .description('continuous agents: state, holder, last heartbeat, restarts, inbox; and the queue')
    .action(async (flags: CommonFlags) => {
      const rt = await open(flags);
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

  common(program.command('serve <paths...>'))
    .description('run as a worker: take queued runs, events and webhooks for the roles found in paths')
    .option('--host <host>', 'address to listen on (default 127.0.0.1; env NIGHTSHIFT_HOST)')
    .option('--port <port>', 'HTTP port, 0 for any free port (default 7070; env NIGHTSHIFT_PORT)')
    .option('--workers <n>', 'worker processes on this machine (default 1; env NIGHTSHIFT_WORKERS)')
    .option('--concurrency <n>', 'runs at a time per worker process (default 4; env NIGHTSHIFT_CONCURRENCY)')
    .option('--poll-ms <ms>', 'how often to look for work queued elsewhere (default 200)')
    .option('--grace-ms <ms>', 'on SIGTERM, how long running steps get to finish (default 10000)')
    .option(
      '--lease-ms <ms>',
      'how long a dead worker keeps its runs before others take them over (default 30000)',
    )
    .addOption(
      new Option('--worker-only', 'no HTTP server and no cron (the extra --workers processes)').hideHelp(),
    )
    .action(
      async (
        paths: string[],
        flags: CommonFlags & {
          host?: string;
          port?: string;
          workers?: string;
          concurrency?: string;
          pollMs?: string;
          graceMs?: string;
          leaseMs?: string;
          workerOnly?: boolean;
        },
      ) => {
        const { resolveServeSettings } = await import('../config/serve-settings.js');
        const c = projectConfig();
        const settings = resolveServeSettings(flags, process.env, c.serve, c.file);
        const roles = [];
        for (const file of discoverRoleFiles(paths)) roles.push(await loadRole(file));
        const rt = await open(flags, { leaseMs: settings.leaseMs, service: true });
        const { pino } = await import('pino');
        const log = pino({ name: 'nightshift' });
        let stop: (graceMs: number) => Promise<void>;
        const children: import('node:child_process').ChildProcess[] = [];
        if (flags.workerOnly) {
          const { logLifecycleEvent, logRunOutcome, logWorkerError } = await import('../server/run-log.js');
          const abort = new AbortController();
          const { logStoreOutages } = await import('../server/store-outage.js');
          const outages = logStoreOutages(rt.store, log);
          const handle = rt.work({
            roles,
            concurrency: settings.concurrency,
            pollMs: settings.pollMs,
            signal: abort.signal,
            onError: (err, runId, role) => outages.absorbs(err) || logWorkerError(log, err, runId, role),
            onLifecycleEvent: (event) => logLifecycleEvent(log, event),
            onRunSettled: (run) => logRunOutcome(log, run),
          });
          log.info({ roles: roles.map((r) => r.name), concurrency: settings.concurrency }, 'worker started');
          stop = async (graceMs) => {
            abort.abort();
            await Promise.race([handle.done, new Promise((r) => setTimeout(r, graceMs).unref())]);
          };
        } else {
          const { startDaemon } = await import('../server/daemon.js');
          const daemon = await startDaemon({
            runtime: rt,
            roles,
            host: settings.host,
            port: settings.port,
            concurrency: settings.concurrency,
            pollMs: settings.pollMs,
            env: process.env,
            log,
          });
          // Extra worker processes share the store (and so the queue) with this one: more cores, and a
          // crash of one process leaves the others running.
          if (settings.workers > 1) {
            const { fork } = await import('node:child_process');
            const { fileURLToPath } = await import('node:url');
            const entry = fileURLToPath(new URL('../../../bin/nightshift.js', import.meta.url));
            for (let i = 1; i < settings.workers; i++) {
              const args = [
                'serve',
                ...paths,
                '--worker-only',
                '--concurrency',
                String(settings.concurrency),
              ];
              args.push('--poll-ms', String(settings.pollMs), '--lease-ms', String(settings.leaseMs));
              if (flags.dataDir) args.push('--data-dir', flags.dataDir);
              children.push(fork(entry, args, { stdio: 'inherit' }));
            }
          }
          if (!flags.json)
            io.err(
              `nightshift serving ${roles.length} role(s) at ${daemon.url}${settings.workers > 1 ? ` with ${settings.workers} worker processes` : ''}`,
            );
          stop = (graceMs) => daemon.close(graceMs);
        }
        await new Promise<void>((resolve) => {
          const onSignal = (signal: string) => {
            log.info({ signal, graceMs: settings.graceMs }, 'shutting down');
            for (const child of children) child.kill('SIGTERM');
            const exited = children.map(
              (child) =>
                new Promise<void>((r) => (child.exitCode !== null ? r() : child.once('exit', () => r()))),
            );
            Promise.all([stop(settings.graceMs), ...exited]).then(
              () => resolve(),
              () => resolve(),
            );
          };
          process.once('SIGTERM', () => onSignal('SIGTERM'));
          process.once('SIGINT', () => onSignal('SIGINT'));
        });
      },
    );

  // --data-dir is accepted (as by every command) and unused: the daemon at --url owns its store.
  common(program.command('emit <event> [json]'))
    .description('send a named event to a running daemon; roles with that event trigger get a run each')
    .option('--url <url>', 'the daemon (default: $NIGHTSHIFT_URL or http://127.0.0.1:7070)')
    .option('--idempotency-key <key>', 'a repeated event with the same key starts no second run')
    .action(
      async (
        event: string,
        json: string | undefined,
        flags: { url?: string; idempotencyKey?: string; json?: boolean },
      ) => {
        const body = json === undefined ? {} : parseJsonFlag(json, 'the event payload');
        const base = (flags.url ?? process.env.NIGHTSHIFT_URL ?? 'http://127.0.0.1:7070').replace(/\/+$/, '');
        let res: Response;
        try {
          res = await fetch(`${base}/events/${encodeURIComponent(event)}`, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              ...(flags.idempotencyKey ? { 'idempotency-key': flags.idempotencyKey } : {}),
            },
            body: JSON.stringify(body),
          });
        } catch (err) {
          throw new NightshiftError(
            'USAGE',
            `no nightshift daemon answers at ${base} (${(err as Error & { cause?: { code?: string } }).cause?.code ?? (err as Error).message}); start one with ${cmd} serve`,
          );
        }
        const answer = (await res.json().catch(() => ({}))) as {
          runs?: { role: string; runId?: string; inboxId?: string }[];
          error?: string;
        };
        if (res.status !== 202)
          throw new NightshiftError(
            'USAGE',
            `the daemon refused the event: HTTP ${res.status} ${answer.error ?? ''}`,
          );
        if (flags.json) io.out(JSON.stringify(answer, null, 2));
        else if (!answer.runs?.length) io.out(`event ${event} accepted; no role listens for it`);
        else
          for (const r of answer.runs)
            io.out(
              r.runId
                ? `event ${event} → ${r.role} run ${r.runId}`
                : `event ${event} → ${r.role} inbox ${r.inboxId} (continuous agent)`,
            );
      },
    );

  // --data-dir is accepted (as by every command) and unused: validating writes nothing.
  common(program.command('validate <roles...>'))
    .description('check role files; prints every problem with file, line and key')
    .action(async (files: string[], flags: CommonFlags) => {
      const results: ValidateResult[] = [];
      for (const file of files) results.push(await validateFile(file, loadRole, projectConfig().models));
      if (flags.json) io.out(JSON.stringify(results, null, 2));
      for (const r of results) {
        if (r.ok && !flags.json) io.out(okLine(r));
        for (const w of r.warnings ?? []) io.err(`${r.file}: ${w}`);
        if (!r.ok) for (const issue of r.issues ?? []) io.err(formatIssue({ file: r.file, ...issue }));
      }
      io.code = results.every((r) => r.ok) ? EXIT.ok : EXIT.usage;
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return io.code;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      )
        return EXIT.ok;
      return EXIT.usage;
    }
    if (isNightshiftError(err)) {
      io.err(`error [${err.code}]: ${err.message}`);
      return exitCodeForError(err.code);
    }
    io.err(`internal error: ${(err as Error)?.stack ?? String(err)}`);
    return EXIT.failed;
  } finally {
    await runtime?.close();
  }
}
