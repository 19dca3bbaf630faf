// What an allowlisted program would run besides itself. Some programs start other programs named in their
// arguments (`find -exec`, `xargs`, `env`, `timeout`), run shell text (`awk`'s system(), `sed`'s `e`,
// `tar --to-command`, `git -c core.fsmonitor=...`): listing `find` must not list `sh`. Pure: the caller
// says how a name resolves (`resolve`) and which allowlist rule it matches (`ruleOf`).
import { basename } from 'node:path';
import { regexMatchesWhole } from '../../roles/role-regex.js';
import type { CommandRule } from '../../roles/settings.js';

export interface Launchable {
  /** The allowlist rule the name matches; undefined when it is not on the allowlist. */
  rule: CommandRule | undefined;
  /** The program's real file name (links resolved), e.g. `gawk` for `awk`; undefined when not found. */
  realName: string | undefined;
}

export type LaunchCheck = { ok: true; args: string[] } | { ok: false; reason: string };

/** Programs whose first operand that names a program is run with the operands after it. */
const WRAPPERS = new Set([
  'xargs',
  'nice',
  'nohup',
  'timeout',
  'setsid',
  'stdbuf',
  'time',
  'ionice',
  'chrt',
  'taskset',
]);
/** Programs that run a shell string of their arguments, whatever they are: never behind another one. */
const SHELL_STRING = new Set(['watch']);
const FIND_EXEC = new Set(['-exec', '-execdir', '-ok', '-okdir']);
/** tar's options that run a program (GNU getopt takes any unambiguous prefix of a long one). */
const TAR_RUNS = [
  'to-command',
  'use-compress-program',
  'checkpoint-action',
  'info-script',
  'new-volume-script',
  'rsh-command',
  'rmt-command',
];
/** git's options that run a program or set configuration (which can name one: core.pager, core.sshCommand). */
const GIT_RUNS = [
  'config-env',
  'exec-path',
  'upload-pack',
  'receive-pack',
  'exec',
  'extcmd',
  'ext-diff',
  'tool',
];
/** git subcommands that run commands given as their arguments. */
const GIT_RUNNING_SUBCOMMANDS = new Set([
  'bisect',
  'submodule',
  'filter-branch',
  'difftool',
  'mergetool',
  'daemon',
  'web--browse',
  'instaweb',
]);
/**
 * Configuration that names a program git would run, set for every git command: the workspace's own
 * `.git/config` is a file the role's fs tools can write (`core.fsmonitor = sh -c ...` runs on `git status`).
 */
export const GIT_SAFE_CONFIG = [
  'core.fsmonitor=false',
  'core.hooksPath=/dev/null',
  'core.pager=cat',
  'core.editor=true',
  'sequence.editor=true',
  'core.sshCommand=ssh',
  'protocol.ext.allow=never',
  'credential.helper=',
];

const isLong = (a: string, names: readonly string[]) => {
  if (!a.startsWith('--') || a === '--') return undefined;
  const name = a.slice(2).split('=')[0] ?? '';
  return name.length > 0 ? names.find((n) => n.startsWith(name)) : undefined;
};

/**
 * Checks `args` of `program` (its allowlist rule's patterns, then what it would run) and returns the argument
 * vector to run: for GNU awk and GNU sed, `--sandbox` first (no system(), pipes, `e`, `r`/`w`).
 */
export function checkLaunch(
  command: string,
  args: readonly string[],
  self: Launchable,
  resolve: (name: string) => Launchable,
  depth = 0,
): LaunchCheck {
  const { rule } = self;
  if (!rule) return { ok: false, reason: `'${command}' is not on this role's allowlist` };
  if (typeof rule !== 'string' && rule.args) {
    for (const [i, a] of args.entries())
      if (!rule.args.some((re) => regexMatchesWhole(re, a)))
        return {
          ok: false,
          reason: `argument ${i} ${JSON.stringify(a)} of ${command} matches none of the allowed patterns (${rule.args.join(', ')})`,
        };
  }
  if (depth > 4) return { ok: false, reason: `${command}: programs nested more than 4 deep` };
  const name = self.realName ?? basename(command);
  const nested = (at: number, of: string, end?: number): LaunchCheck => {
    const inner = args[at] ?? '';
    const innerArgs = args.slice(at + 1, end);
    const found = resolve(inner);
    if (!found.rule)
      return {
        ok: false,
        reason: `${command} would run '${inner}' (${of}), which is not on this role's allowlist: an allowlisted program may not start one that is not`,
      };
    if (found.realName && SHELL_STRING.has(found.realName))
      return { ok: false, reason: `${command} would run '${inner}', which runs its arguments as shell text` };
    const checked = checkLaunch(inner, innerArgs, found, resolve, depth + 1);
    return checked.ok ? { ok: true, args: [...args] } : checked;
  };
  if (SHELL_STRING.has(name)) return { ok: true, args: [...args] };
  if (name === 'find') {
    for (let i = 0; i < args.length; i++) {
      if (!FIND_EXEC.has(args[i] ?? '')) continue;
      let end = i + 2;
      while (end < args.length && args[end] !== ';' && args[end] !== '+') end++;
      const r = nested(i + 1, `find ${args[i]}`, end);
      if (!r.ok) return r;
      i = end;
    }
    return { ok: true, args: [...args] };
  }
  if (name === 'env') {
    for (const [i, a] of args.entries())
      if (a === '-S' || /^-[a-zA-Z0-9]*S/.test(a) || isLong(a, ['split-string']))
        return {
          ok: false,
          reason: `argument ${i} ${JSON.stringify(a)}: env -S splits a string into a command line, which cannot be checked`,
        };
    let i = 0;
    while (i < args.length) {
      const a = args[i] ?? '';
      if (a === '--') {
        i++;
        break;
      }
      if (a === '-u' || a === '-C' || a === '--unset' || a === '--chdir') {
        i += 2;
        continue;
      }
      if (a.startsWith('-') && a !== '-') {
        i++;
        continue;
      }
      break;
    }
    let firstAssignment: string | undefined;
    while (i < args.length && /^[^=]+=/.test(args[i] ?? '')) firstAssignment ??= args[i++];
    if (i >= args.length) return { ok: true, args: [...args] };
    if (firstAssignment)
      return {
        ok: false,
        reason: `env would set ${JSON.stringify(firstAssignment.split('=')[0])} for the program it runs: a variable (LD_PRELOAD, PAGER, GIT_*) can decide what that program runs; pass fixed variables with scope.env`,
      };
    return nested(i, 'env');
  }
  if (WRAPPERS.has(name)) {
    // The first operand that names a program is what runs; what comes before are options and values
    // (`timeout -s KILL 5`, `xargs -n 1`), which never name an installed program in these tools.
    for (let i = 0; i < args.length; i++) {
      const a = args[i] ?? '';
      if (a.startsWith('-') || a === '') continue;
      const found = resolve(a);
      if (!found.rule && !found.realName) continue;
      if (name === 'xargs' && found.rule && typeof found.rule !== 'string' && found.rule.args)
        return {
          ok: false,
          reason: `xargs would run '${a}' with arguments read from stdin, which '${a}''s argument patterns cannot check`,
        };
      return nested(i, name);
    }
    return { ok: true, args: [...args] };
  }
  if (name === 'gawk' || name === 'sed') {
    // GNU's own switch: no system(), no pipes or redirections to commands (awk), no `e`, `r` or `w` (sed).
    return { ok: true, args: ['--sandbox', ...args] };
  }
  if (name === 'awk' || name === 'mawk' || name === 'nawk' || name === 'original-awk') {
    for (const [i, a] of args.entries())
      if (/system|getline|\|/.test(a) || a === '-f' || a.startsWith('-f'))
        return {
          ok: false,
          reason: `argument ${i} ${JSON.stringify(a)}: ${name} has no sandbox mode, and system(), pipes, getline and program files can run commands; install GNU awk (gawk), which nightshift runs with --sandbox`,
        };
    return { ok: true, args: [...args] };
  }
  if (name === 'tar') {
    for (const [i, a] of args.entries()) {
      const long = isLong(a, TAR_RUNS);
      const shortCluster = (i === 0 && !a.startsWith('-')) || (a.startsWith('-') && !a.startsWith('--'));
      if (long || (shortCluster && /[IF]/.test(a.split('=')[0] ?? '')))
        return {
          ok: false,
          reason: `argument ${i} ${JSON.stringify(a)}: tar would run a program it names (${long ? `--${long}` : '-I or -F'})`,
        };
    }
    // A remote archive (`host:file`) goes through rsh: read every file name as local.
    return { ok: true, args: ['--force-local', ...args] };
  }
  if (name === 'git') {
    let sub: string | undefined;
    for (const [i, a] of args.entries()) {
      const refuse = (why: string): LaunchCheck => ({
        ok: false,
        reason: `argument ${i} ${JSON.stringify(a)}: ${why}`,
      });
      if (isLong(a, GIT_RUNS)) return refuse('git would run a program this option names');
      if (sub === undefined) {
        // Before the subcommand: `-c name=value` sets configuration, which can name a program.
        if (a === '-c' || /^-c./.test(a))
          return refuse('git -c sets configuration, which can name a program to run');
        if (a === '-C') continue;
        if (!a.startsWith('-') && args[i - 1] !== '-C') {
          sub = a;
          if (GIT_RUNNING_SUBCOMMANDS.has(a)) return refuse(`git ${a} runs commands it is given`);
        }
        continue;
      }
      if (a === '-x' && sub === 'rebase') return refuse('git rebase -x runs a command');
      if (a === '-u' && ['clone', 'fetch', 'pull', 'ls-remote', 'archive'].includes(sub))
        return refuse(`git ${sub} -u names a program to run`);
    }
    return { ok: true, args: GIT_SAFE_CONFIG.flatMap((c) => ['-c', c]).concat(args) };
  }
  return { ok: true, args: [...args] };
}
