// shell.exec: runs an allowlisted program with an argument vector (never a shell string) in the
// workspace, with a scrubbed environment, a time limit, an output cap, resource limits, and the
// bubblewrap sandbox.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { accessSync, constants, realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import type { RoleSettings } from '../../roles/settings.js';
import { defineTool } from '../define.js';
import { callInvalid } from '../failures.js';
import {
  bwrapArgs,
  bwrapPath,
  LIFELINE_FD,
  SANDBOX_PATH,
  SECCOMP_FD,
  sandboxAvailable,
  visibleInSandbox,
} from '../sandbox/bubblewrap.js';
import { type CommandCgroup, commandCgroup, pidsHierarchy } from '../sandbox/cgroup.js';
import { stdioCoveringInherited } from '../sandbox/inherited-fds.js';
import { execLimits } from '../sandbox/limits.js';
import { setIdFilter } from '../sandbox/seccomp.js';
import type { Secrets } from '../secrets.js';
import type { ScopeVerdict } from '../types.js';
import { resolveInside } from '../workspace.js';
import { checkLaunch, GIT_GLOBAL_VALUE, type Launchable } from './command-launchers.js';
import { checkRepositoryConfig, GIT_OUTSIDE_CONFIG_OFF, gitLocationInside } from './git-config-scan.js';
import { spawnUnsandboxed, type UnsandboxedCommand } from './group-lifeline.js';
import { killMarked, newProcessMarker } from './process-marker.js';

/**
 * The seccomp filter every sandboxed command runs under (seccomp.ts); built once, it never changes. Where
 * it is undefined there is no sandbox (sandboxAvailable refuses), so a sandboxed plan always has it; were it
 * ever missing, bubblewrap would read an empty filter and fail the command, never run it unfiltered.
 */
const SET_ID_FILTER = setIdFilter();

const Input = z.strictObject({
  command: z.string().min(1).describe('the program to run, e.g. git (must be on the role allowlist)'),
  args: z
    .array(z.string())
    .max(256)
    .default([])
    .describe('its arguments, one per item (no shell: quotes, pipes and globs are literal)'),
  cwd: z.string().min(1).default('.').describe('working folder, relative to the workspace'),
  stdin: z
    .string()
    .max(1024 * 1024)
    .optional(),
});
type Input = z.infer<typeof Input>;

function realPathOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function findOnPath(name: string): string | undefined {
  for (const dir of SANDBOX_PATH.split(':')) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {}
  }
  return undefined;
}

/**
 * Where `program` really is, when that is inside the workspace (written or real path), else undefined.
 * The role's file tools can write there, so an allowlisted program there runs model-authored code. Checked
 * at every call, not only at role load: a link outside the workspace may have been made to point in since.
 * Nothing the role writes lies outside the workspace, so the answer cannot change between here and exec.
 */
function writableProgram(program: string, workspace: string, realWorkspace: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(program);
  } catch {
    real = program;
  }
  const inside = (p: string, dir: string) => {
    const rel = relative(dir, p);
    return rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  };
  return inside(program, workspace) || inside(real, realWorkspace) || inside(real, workspace)
    ? real
    : undefined;
}

type Plan =
  | {
      ok: true;
      program: string;
      /** The arguments to run: the call's, with what keeps the program from running others (`--sandbox`). */
      argv: string[];
      cwd: string;
      workspace: string;
      sandboxed: boolean;
      /** Where the command's pids cgroup goes (nightshift runs as root), else undefined. */
      pidsParent: string | undefined;
    }
  | { ok: false; reason: string };

/**
 * Whether the command's host uid is root. bubblewrap maps the sandbox's unprivileged uid to nightshift's
 * own, and the kernel never applies RLIMIT_NPROC to uid 0: then a pids cgroup bounds its processes.
 */
function runsAsHostRoot(): boolean {
  return process.geteuid?.() === 0;
}

/** Everything that decides whether (and how) a call may run. Shared by the scope check and run(). */
/** git's options before its subcommand that say where the repository is (`-C dir`, `--git-dir=x`). */
function gitLocation(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (!a.startsWith('-')) break;
    const [opt = ''] = a.split('=');
    if (!GIT_GLOBAL_VALUE.includes(opt)) continue;
    if (a.includes('=')) out.push(a);
    else out.push(a, args[++i] ?? '');
  }
  return out;
}

async function plan(args: Input, role: RoleSettings, env: NodeJS.ProcessEnv): Promise<Plan> {
  const { command } = args;
  const rule = role.scope.commands.find((r) => (typeof r === 'string' ? r : r.program) === command);
  if (!rule) {
    const allowed = role.scope.commands.map((r) => (typeof r === 'string' ? r : r.program));
    return {
      ok: false,
      reason: `command '${command}' is not on this role's allowlist (scope.commands: ${allowed.join(', ') || 'none'})`,
    };
  }
  if (command.includes('/') && !isAbsolute(command))
    return { ok: false, reason: `command '${command}' must be a bare name or an absolute path` };
  const program = isAbsolute(command) ? command : findOnPath(command);
  if (!program) return { ok: false, reason: `command '${command}' is not installed on ${SANDBOX_PATH}` };
  for (const [i, a] of args.args.entries())
    if (a.includes('\0')) return { ok: false, reason: `argument ${i} contains a NUL byte` };
  const where = await resolveInside(role.workspace, args.cwd, 'read', 'shell.exec');
  if (!where.ok) return { ok: false, reason: where.reason };
  // The rule's patterns, then what the program would run besides itself: only allowlisted programs.
  const launchable = (name: string): Launchable => {
    const found = isAbsolute(name) ? name : name.includes('/') ? undefined : findOnPath(name);
    const named = role.scope.commands.find((r) => (typeof r === 'string' ? r : r.program) === name);
    const writable = found && writableProgram(found, role.workspace ?? where.workspace, where.workspace);
    return {
      rule: writable ? undefined : named,
      realName: found ? basename(realPathOr(found)) : undefined,
    };
  };
  // The program itself: its rule as found above (a writable one is refused below, with its own reason).
  const self: Launchable = { rule, realName: basename(realPathOr(program)) };
  const launch = checkLaunch(command, args.args, self, launchable);
  if (!launch.ok) return { ok: false, reason: launch.reason };
  let sandbox = sandboxAvailable(env);
  let pidsParent: string | undefined;
  if (sandbox.ok && runsAsHostRoot()) {
    const pids = pidsHierarchy();
    if (pids.ok) pidsParent = pids.parent;
    else
      sandbox = {
        ok: false,
        reason: `nightshift runs as root, for which the kernel ignores the process limit (RLIMIT_NPROC), and there is ${pids.reason}`,
      };
  }
  // git, run directly or by a launcher: the repository's own configuration may name programs it would run.
  // It is read on the host, outside the sandbox, so only from folders in the workspace (git-config-scan.ts).
  const vector = [command, ...args.args];
  const gitAt = vector.findIndex((a, i) => basename(a) === 'git' || (i === 0 && self.realName === 'git'));
  if (gitAt >= 0) {
    const git = gitAt === 0 ? program : (findOnPath('git') ?? program);
    const location = gitLocation(vector.slice(gitAt + 1));
    const inside = await gitLocationInside(where.workspace, where.absolute, location);
    if (!inside.ok) return { ok: false, reason: inside.reason ?? 'git: a folder outside the workspace' };
    // Above the workspace only for a command that will run without the sandbox, which can find it there.
    const unsandboxed = !sandbox.ok && role.autonomy === 'full' && role.scope.unsandboxedExec === true;
    const verdict = await checkRepositoryConfig(
      git,
      where.absolute,
      location,
      unsandboxed ? undefined : where.workspace,
    );
    if (!verdict.ok) return { ok: false, reason: verdict.reason ?? 'git: the repository configuration' };
  }
  const writable = writableProgram(program, role.workspace ?? where.workspace, where.workspace);
  if (writable)
    return {
      ok: false,
      reason: `command '${command}' (${writable}) is inside the workspace, which this role's own tools can write: the allowlist would run whatever was written there; install it outside the workspace`,
    };
  if (!sandbox.ok) {
    if (role.autonomy === 'full' && role.scope.unsandboxedExec) {
      return {
        ok: true,
        program,
        argv: launch.args,
        cwd: where.absolute,
        workspace: where.workspace,
        sandboxed: false,
        pidsParent: undefined,
      };
    }
    return {
      ok: false,
      reason: `${sandbox.reason}; shell.exec is refused without a sandbox${role.autonomy === 'full' ? ' (a full-autonomy role may set scope.unsandboxedExec: true)' : ''}`,
    };
  }
  if (!visibleInSandbox(program, where.workspace))
    return {
      ok: false,
      reason: `command '${command}' (${program}) is outside what the sandbox shows (/usr, /bin, /sbin, /lib*, /etc and the workspace)`,
    };
  return {
    ok: true,
    program,
    argv: launch.args,
    cwd: where.absolute,
    workspace: where.workspace,
    sandboxed: true,
    pidsParent,
  };
}

/** `cwd` (as the call gave it: `given`) must be a folder that exists when the command starts. */
async function checkCwd(absolute: string, given: string): Promise<void> {
  const st = await stat(absolute).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw callInvalid(`cwd: no folder '${given}' in the workspace`, err);
    if (err.code === 'ENOTDIR') throw callInvalid(`cwd: '${given}' goes through a file, not a folder`, err);
    throw err;
  });
  if (!st.isDirectory()) throw callInvalid(`cwd: '${given}' is a file, not a folder`);
}

function commandEnv(role: RoleSettings, secrets: Secrets, env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = { PATH: SANDBOX_PATH, HOME: '/tmp', LANG: 'C.UTF-8' };
  for (const name of role.scope.env) {
    const v = secrets.names.includes(name) ? secrets.get(name) : env[name];
    if (v !== undefined) out[name] = v;
  }
  // git reads only the repository's configuration, which is checked before it runs (git-config-scan.ts):
  // not $HOME/.gitconfig or $HOME/.config/git/config, which are under /tmp, shared between unsandboxed
  // calls and writable by the role (`git checkout-index --prefix=/tmp/ .gitconfig`), nor /etc/gitconfig.
  // For every command, since a launcher may start git (`timeout 5 git diff`); set last, so scope.env
  // cannot undo it. git >= 2.32 reads GIT_CONFIG_GLOBAL.
  Object.assign(out, GIT_OUTSIDE_CONFIG_OFF);
  // Every git call carries `-c protocol.file.allow=never` (decision 073), which this variable overrides.
  delete out.GIT_ALLOW_PROTOCOL;
  return out;
}

export interface ExecResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  truncated: boolean;
  timedOut: boolean;
  sandbox: 'bubblewrap' | 'none';
}

export const shellExec = defineTool({
  name: 'shell.exec',
  description:
    'Run an allowed program with arguments in the workspace (sandboxed; no shell, no network unless allowed).',
  input: Input,
  effect: 'exec',
  idempotent: false,
  scope: async (args, ctx): Promise<ScopeVerdict> => {
    const p = await plan(args, ctx.role, process.env);
    return p.ok ? { kind: 'inside' } : { kind: 'outside', reason: p.reason };
  },
  run: async (args, ctx): Promise<ExecResult> => {
    // Planned again, and for git the repository's configuration read again (a second `git config`), on
    // purpose: the scope check's verdict is not carried here. A turn's calls are all judged when the turn
    // is recorded, before any of them runs, so an earlier call of the same turn (fs.write of
    // .git/config, `git config diff.external ...`, `git init` in a subfolder) may change what git would
    // read between the check and this run; so may the wait for a person's approval of a held call, a
    // resume in another process, or another run sharing the workspace. No cheap fingerprint covers what
    // git reads (its repository discovery, worktree files, includes), so the read closest to git's own is
    // kept; the one at the check keeps a refusal a policy decision, recorded before anyone is asked.
    const p = await plan(args, ctx.role, process.env);
    if (!p.ok) throw new NightshiftError('SCOPE_VIOLATION', p.reason);
    // A missing folder or a file as `cwd` surfaced as spawn's `spawn /bin/sh ENOENT` (naming the shell, not
    // the folder) and TOOL_FAILED, which tells the model that trying later may work. Checked here, not at
    // the decision: an earlier call of the same turn may make the folder.
    await checkCwd(p.cwd, args.cwd);
    const { limits } = ctx.role;
    const env = commandEnv(ctx.role, ctx.secrets, process.env);
    let file = p.program;
    let argv = p.argv;
    let cgroup: CommandCgroup | undefined;
    if (p.sandboxed) {
      const protectedPaths = [...(ctx.protectedPaths ?? [])];
      if (ctx.role.secretsFile) protectedPaths.push(ctx.role.secretsFile);
      const exec = execLimits(limits);
      file = bwrapPath();
      argv = bwrapArgs({
        workspace: p.workspace,
        cwd: p.cwd,
        network: ctx.role.scope.network,
        protectedPaths,
        limits: exec,
        program: p.program,
        args: p.argv,
        seccompFd: SECCOMP_FD,
      });
      if (p.pidsParent) {
        try {
          cgroup = commandCgroup(p.pidsParent, exec.processes);
        } catch (err) {
          throw new NightshiftError(
            'SANDBOX_UNAVAILABLE',
            `shell.exec is refused: cannot create the pids cgroup that bounds the command's processes under ${p.pidsParent}: ${(err as Error).message}`,
            { cause: err },
          );
        }
        // The first process joins the cgroup before bubblewrap starts, so everything the command forks
        // is counted. A fixed script; the paths and arguments travel as its positional parameters.
        argv = ['-c', 'echo $$ > "$0" && exec "$@"', cgroup.procsFile, file, ...argv];
        file = '/bin/sh';
      }
    }
    // Unsandboxed: no PID namespace ends with this process; a watcher, started first, kills the command's
    // group if this process dies before the command ends, and the program starts only once the watcher
    // knows that group (group-lifeline.ts).
    // Unsandboxed, a process the command moves out of its group (setsid) is still found by its
    // environment marker when the command ends or times out (process-marker.ts).
    const marker = p.sandboxed ? undefined : newProcessMarker();
    if (marker) env[marker.name] = marker.value;
    const options = {
      cwd: p.cwd,
      // The scrubbed environment, for bwrap and the program alike: nothing of nightshift's own leaks in.
      env,
    };
    let unsandboxed: UnsandboxedCommand | undefined;
    let child: ChildProcessWithoutNullStreams;
    try {
      if (p.sandboxed) {
        child = spawn(file, argv, {
          ...options,
          // Descriptor LIFELINE_FD is the lifeline, whose end here closes when this process dies, however
          // it dies; the watcher in the sandbox then kills the command (bubblewrap.ts, WATCH_SCRIPT).
          // Past it, /dev/null over any descriptor nightshift inherited without close-on-exec, which
          // bubblewrap would otherwise hand to the command (inherited-fds.ts).
          // Descriptor SECCOMP_FD carries the seccomp filter, which bubblewrap reads to its end.
          stdio: stdioCoveringInherited(['pipe', 'pipe', 'pipe', 'pipe', 'pipe']),
          detached: true, // its own process group, so a timeout kills everything it started
        }) as ChildProcessWithoutNullStreams;
        // end() closes our side once written: bubblewrap reads to that end of file before it starts the
        // command. An error (bubblewrap gone before reading) shows as the command failing.
        (child.stdio[SECCOMP_FD] as Writable).on('error', () => {}).end(SET_ID_FILTER);
      } else {
        unsandboxed = spawnUnsandboxed(file, argv, options, undefined, marker?.line);
        child = unsandboxed.child;
      }
    } catch (err) {
      // spawn can throw at once (E2BIG for an over-long argument the model chose): the cgroup would
      // otherwise stay until this process exits (spawnUnsandboxed ends its own watcher).
      await cgroup?.remove();
      // The same call fails the same way every time: say so (TOOL_CALL_INVALID), and what to do instead,
      // rather than the bare `spawn E2BIG` a model cannot act on.
      if ((err as { code?: string }).code === 'E2BIG') {
        const longest = Math.max(0, ...args.args.map((a) => Buffer.byteLength(a)));
        const total = args.args.reduce((n, a) => n + Buffer.byteLength(a) + 1, 0);
        throw callInvalid(
          `${args.command}: its arguments are too long for the operating system to start it (E2BIG: the longest is ${longest.toLocaleString('en-US')} bytes, all together ${total.toLocaleString('en-US')}; Linux takes at most 131,072 bytes in one argument); pass long text through stdin or a file in the workspace`,
          err,
        );
      }
      throw err;
    }
    // A socket pair, readable and writable here; typed as either.
    const lifeline = p.sandboxed ? (child.stdio[LIFELINE_FD] as Readable | null | undefined) : null;
    // Read (nothing comes) so its end of file is seen: the child's 'close' waits for every stdio stream.
    lifeline?.on('error', () => {}).resume();
    let stdout = '';
    let stderr = '';
    let truncated = false;
    let timedOut = false;
    // The marker scan reads every process's environment (synchronously): once here, whatever calls this
    // again (every output chunk after the cap), and once more when the command has ended.
    let scanned = false;
    const killAll = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {}
      if (marker && !scanned) {
        scanned = true;
        killMarked(marker.line);
      }
      // The sandbox's PID namespace is not in that group: cutting the lifeline ends it even if the
      // parent-death signal bubblewrap sets has not been armed yet.
      lifeline?.destroy();
    };
    const take = (which: 'out' | 'err') => (chunk: Buffer) => {
      const room = limits.execOutputBytes - Buffer.byteLength(stdout) - Buffer.byteLength(stderr);
      const text = chunk.toString('utf8');
      if (room <= 0 || Buffer.byteLength(text) > room) {
        truncated = true;
        const part = Buffer.from(text).subarray(0, Math.max(0, room)).toString('utf8');
        if (which === 'out') stdout += part;
        else stderr += part;
        killAll();
        return;
      }
      if (which === 'out') stdout += text;
      else stderr += text;
    };
    child.stdout.on('data', take('out'));
    child.stderr.on('data', take('err'));
    child.stdin.on('error', () => {});
    child.stdin.end(args.stdin ?? '');
    const timer = setTimeout(() => {
      timedOut = true;
      killAll();
    }, limits.execSeconds * 1000);
    const onAbort = () => killAll();
    ctx.signal.addEventListener('abort', onAbort);
    // A stop that came before the listener was added fires no event: act on it now.
    if (ctx.signal.aborted) killAll();
    const [exitCode, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
      (resolve, reject) => {
        child.on('error', reject);
        child.on('close', (code, sig) => resolve([code, sig]));
      },
    ).finally(async () => {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
      if (marker) killMarked(marker.line);
      unsandboxed?.stop();
      await cgroup?.remove();
    });
    return {
      exitCode,
      signal,
      stdout,
      stderr,
      truncated,
      timedOut,
      sandbox: p.sandboxed ? 'bubblewrap' : 'none',
    };
  },
});
