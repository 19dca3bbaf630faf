// What every command shares: the output streams and exit code, the project's config (read once, when a
// command first needs it), opening the runtime through the public API, loading roles with the project's
// tool modules, and printing human text or --json.
//
// Only what every invocation needs is imported here: the config reader, the role loader, the runtime and
// the run formatter are imported when a command first uses them, so `--version`, `--help` and a usage
// error do not load the whole runtime (bench/README.md, "CLI start-up").
import { type Command, Option } from 'commander';
import type { ProjectConfig } from '../config/project.js';
import type { RunSummary } from '../engine/summary.js';
import { isNightshiftError, NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { Runtime } from '../runtime.js';
import { cliDataDir } from '../store/data-dir.js';
import type { CommitObserver } from '../telemetry/commit-tap.js';
import { EXIT } from './exit-codes.js';
import { printable, terminalSafe } from './terminal-text.js';

type ConfigModule = typeof import('../config/project.js');
let configModule: ConfigModule | undefined;

/**
 * Loads the project-config reader, so that projectConfig() can stay synchronous (commands call it in the
 * middle of their checks). main.ts calls it before any command's action (commander's preAction hook);
 * the config file itself is still read only when a command first asks for it.
 */
export async function loadConfigReader(): Promise<void> {
  configModule ??= await import('../config/project.js');
}

export interface CommonFlags {
  dataDir?: string;
  json?: boolean;
}

/**
 * The CLI's two streams. Every line goes through terminalSafe on its way out: a command that prints a
 * model's or a sender's text without printable/oneLine (an improvement round's rationale, a warning, a
 * message serve says) still cannot write a terminal command (OSC 52 to the clipboard, a cursor move that
 * hides the line above) to the operator's terminal.
 */
export class Output {
  code: number = EXIT.ok;
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  constructor(out: (s: string) => void, err: (s: string) => void) {
    this.out = (s) => out(terminalSafe(s));
    this.err = (s) => err(terminalSafe(s));
  }
}

export interface CliContext {
  io: Output;
  /** The command as the user ran it (`npx nightshift` under npx), for the hints we print. */
  cmd: string;
  projectConfig(): ProjectConfig;
  /** Opens the runtime (closed when the command ends) with the project's settings. */
  open(
    flags: CommonFlags,
    extra?: {
      leaseMs?: number;
      service?: boolean;
      /** False: the command only reads or acts on what is stored; a missing store is refused, not made. */
      createStore?: boolean;
      /** True: the command only shows what is stored: the store is opened read-only and never migrated. */
      readOnly?: boolean;
      observers?: CommitObserver[];
      onRoleSecrets?: (values: readonly string[]) => void;
    },
  ): Promise<Runtime>;
  loadRole(file: string): Promise<Role>;
  print(flags: CommonFlags, json: unknown, human: string): void;
  /** A run's summary for people: its status says how many of its calls the policy denied. */
  printRun(flags: CommonFlags, rt: Runtime, result: RunSummary, head?: string): Promise<void>;
}

/** The context for one invocation; `runtime()` is the runtime it opened, if any, to close at the end. */
export function cliContext(io: Output, cmd: string): CliContext & { runtime(): Runtime | undefined } {
  let config: ProjectConfig | undefined;
  let runtime: Runtime | undefined;
  const projectConfig = (): ProjectConfig => {
    if (!configModule) throw new Error('the project-config reader is not loaded (loadConfigReader)');
    config ??= configModule.loadProjectConfig(process.cwd());
    return config;
  };
  // Human text is escaped for the terminal (cli/terminal-text.ts); --json is printed exact.
  const print = (flags: CommonFlags, json: unknown, human: string) =>
    io.out(flags.json ? JSON.stringify(json, null, 2) : printable(human));
  return {
    io,
    cmd,
    projectConfig,
    async open(flags, extra = {}) {
      const c = projectConfig();
      const [{ createRuntime }, { loadRoleFile }] = await Promise.all([
        import('../runtime.js'),
        import('../roles/load.js'),
      ]);
      const create = (options: typeof extra) =>
        createRuntime({
          dataDir: cliDataDir(flags.dataDir, c.dataDir),
          models: c.models,
          people: c.people,
          roleSource: c.versions.source,
          // Sandboxed commands never see the project's config file.
          protectedPaths: c.file ? [c.file] : [],
          // Manager agents' role files load as every role file does: with the project's tool modules.
          loadRole: (file) => loadRoleFile(file, { projectToolModules: c.toolModules }),
          ...options,
        });
      try {
        runtime = await create(extra);
      } catch (err) {
        // A store written by an older nightshift, read first after an upgrade (`show` before `serve`): a
        // user who may write it gets it migrated, as every command did before reads were read-only; one
        // who may not gets the refusal that says what to do.
        if (!extra.readOnly || !isNightshiftError(err) || err.details?.missingMigrations === undefined)
          throw err;
        runtime = await create({ ...extra, readOnly: false }).catch(() => {
          throw err;
        });
      }
      return runtime;
    },
    async loadRole(file) {
      const projectToolModules = projectConfig().toolModules;
      const { loadRoleFile } = await import('../roles/load.js');
      return loadRoleFile(file, { projectToolModules });
    },
    print,
    async printRun(flags, rt, result, head = '') {
      if (flags.json) return print(flags, result, '');
      const { deniedCalls, formatSummary } = await import('./format.js');
      const snapshot = await rt.get(result.runId);
      const denied = snapshot ? deniedCalls(snapshot.toolCalls) : 0;
      io.out(printable(`${head}${formatSummary(result, { cmd, denied })}`));
    },
    runtime: () => runtime,
  };
}

/** The options every command accepts. */
export function withCommonFlags(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--data-dir <dir>',
        'where the embedded store lives (default: $NIGHTSHIFT_DATA_DIR, else dataDir in nightshift.config.yaml, else ./.nightshift)',
      ),
    )
    .option('--json', 'print JSON for pipelines');
}

export function defaultActor(): string {
  return process.env.NIGHTSHIFT_ACTOR || process.env.USER || process.env.LOGNAME || 'cli';
}

export function parseJsonFlag(text: string, flag: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new NightshiftError('USAGE', `${flag} is not valid JSON: ${(err as Error).message}`);
  }
}
