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

/**
 * Programs that run the program named by an operand, with the options each takes (GNU's): `value` options
 * take the next argument (or the rest of a short cluster, or `=value`); `optional` long ones take only
 * `=value`; `refused` ones cannot be checked. An option not listed refuses the call: what it takes, and
 * so where the program's name is, would be a guess.
 */
interface OptionGrammar {
  shortFlags: string;
  shortValue: string;
  longFlags: readonly string[];
  longValue: readonly string[];
  longOptional?: readonly string[];
  refused?: { short: string; long: readonly string[]; why: string };
  /** `nice -5`: a dash and digits is an option. */
  numeric?: boolean;
}
const WRAPPER_OPTIONS: Record<string, OptionGrammar> = {
  env: {
    shortFlags: 'i0v',
    shortValue: 'uC',
    longFlags: ['ignore-environment', 'null', 'debug', 'list-signal-handling', 'help', 'version'],
    longValue: ['unset', 'chdir'],
    longOptional: ['block-signal', 'default-signal', 'ignore-signal'],
    refused: {
      short: 'S',
      long: ['split-string'],
      why: 'env -S splits a string into a command line, which cannot be checked',
    },
  },
  xargs: {
    shortFlags: '0prtx',
    shortValue: 'adEILnPs',
    longFlags: [
      'null',
      'interactive',
      'no-run-if-empty',
      'verbose',
      'exit',
      'show-limits',
      'open-tty',
      'help',
      'version',
    ],
    longValue: ['arg-file', 'delimiter', 'max-args', 'max-procs', 'max-chars', 'process-slot-var'],
    longOptional: ['eof', 'replace', 'max-lines'],
    refused: {
      short: 'eil',
      long: [],
      why: 'the short forms -e, -i and -l take an attached value only; use -E, -I or -L',
    },
  },
  timeout: {
    shortFlags: 'v',
    shortValue: 'ks',
    longFlags: ['foreground', 'preserve-status', 'verbose', 'help', 'version'],
    longValue: ['kill-after', 'signal'],
  },
  nice: {
    shortFlags: '',
    shortValue: 'n',
    longFlags: ['help', 'version'],
    longValue: ['adjustment'],
    numeric: true,
  },
  time: {
    shortFlags: 'apvq',
    shortValue: 'fo',
    longFlags: ['append', 'portability', 'verbose', 'quiet', 'help', 'version'],
    longValue: ['format', 'output'],
  },
  nohup: { shortFlags: '', shortValue: '', longFlags: ['help', 'version'], longValue: [] },
  setsid: {
    shortFlags: 'cfw',
    shortValue: '',
    longFlags: ['ctty', 'fork', 'wait', 'help', 'version'],
    longValue: [],
  },
  stdbuf: {
    shortFlags: '',
    shortValue: 'ioe',
    longFlags: ['help', 'version'],
    longValue: ['input', 'output', 'error'],
  },
  ionice: {
    shortFlags: 't',
    shortValue: 'cnpPu',
    longFlags: ['ignore', 'help', 'version'],
    longValue: ['class', 'classdata', 'pid', 'pgid', 'uid'],
  },
};

/**
 * Programs that run what their arguments name, with options too varied to find it by: refused unless
 * their rule bounds every argument with `args` patterns (then the role's author took that on).
 */
const UNEXAMINED = new Set([
  'watch',
  'chrt',
  'taskset',
  'flock',
  'sudo',
  'doas',
  'su',
  'runuser',
  'unshare',
  'nsenter',
  'chroot',
  'strace',
  'ltrace',
  'busybox',
  'setpriv',
  'prlimit',
  'script',
  'parallel',
]);
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
/** git's options before the subcommand (git(1)): those that take the next argument, and the flags. */
const GIT_GLOBAL_VALUE = ['-C', '--git-dir', '--work-tree', '--namespace', '--super-prefix', '--attr-source'];
const GIT_GLOBAL_FLAGS = [
  '-v',
  '--version',
  '-h',
  '--help',
  '-p',
  '--paginate',
  '-P',
  '--no-pager',
  '--no-replace-objects',
  '--bare',
  '--literal-pathspecs',
  '--glob-pathspecs',
  '--noglob-pathspecs',
  '--icase-pathspecs',
  '--no-optional-locks',
  '--html-path',
  '--man-path',
  '--info-path',
  '--no-lazy-fetch',
  '--list-cmds',
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

/** Where the first operand is, after the options of `g`; refuses an option it does not know. */
function firstOperand(
  args: readonly string[],
  g: OptionGrammar,
): { ok: true; at: number } | { ok: false; reason: string } {
  let i = 0;
  while (i < args.length) {
    const a = args[i] ?? '';
    if (a === '--') return { ok: true, at: i + 1 };
    if (!a.startsWith('-') || a === '-') return { ok: true, at: i };
    const bad = (why: string) => ({
      ok: false as const,
      reason: `argument ${i} ${JSON.stringify(a)}: ${why}`,
    });
    if (a.startsWith('--')) {
      const [name = '', value] = a.slice(2).split(/=(.*)/s);
      const all = [...g.longFlags, ...g.longValue, ...(g.longOptional ?? []), ...(g.refused?.long ?? [])];
      const matches = all.filter((n) => n.startsWith(name));
      const exact = all.find((n) => n === name);
      const full = exact ?? (matches.length === 1 ? matches[0] : undefined);
      if (g.refused?.long.some((n) => n.startsWith(name) && name !== '')) return bad(g.refused.why);
      if (!full)
        return bad(
          matches.length > 1
            ? 'an ambiguous option'
            : 'an option nightshift does not know for this program, so it cannot tell where the program it runs is named',
        );
      i += g.longValue.includes(full) && value === undefined ? 2 : 1;
      continue;
    }
    if (g.numeric && /^-\d+$/.test(a)) {
      i++;
      continue;
    }
    let consumed = 1;
    for (let k = 1; k < a.length; k++) {
      const c = a[k] ?? '';
      if (g.refused?.short.includes(c)) return bad(g.refused.why);
      if (g.shortValue.includes(c)) {
        if (k === a.length - 1) consumed = 2;
        break;
      }
      if (!g.shortFlags.includes(c))
        return bad(
          `-${c} is an option nightshift does not know for this program, so it cannot tell where the program it runs is named`,
        );
    }
    i += consumed;
  }
  return { ok: true, at: i };
}

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
    const checked = checkLaunch(inner, innerArgs, found, resolve, depth + 1);
    return checked.ok ? { ok: true, args: [...args] } : checked;
  };
  if (UNEXAMINED.has(name) && (typeof rule === 'string' || !rule.args))
    return {
      ok: false,
      reason: `${command} runs whatever program its arguments name, and nightshift does not read its options to check it; list the program itself, or give ${command} args patterns`,
    };
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
  const grammar = WRAPPER_OPTIONS[name];
  if (grammar) {
    const parsed = firstOperand(args, grammar);
    if (!parsed.ok) return { ok: false, reason: `${command}: ${parsed.reason}` };
    let at = parsed.at;
    if (name === 'env') {
      let firstAssignment: string | undefined;
      while (at < args.length && /^[^=]+=/.test(args[at] ?? '')) firstAssignment ??= args[at++];
      if (at >= args.length) return { ok: true, args: [...args] };
      if (firstAssignment)
        return {
          ok: false,
          reason: `env would set ${JSON.stringify(firstAssignment.split('=')[0])} for the program it runs: a variable (LD_PRELOAD, PAGER, GIT_*) can decide what that program runs; pass fixed variables with scope.env`,
        };
    }
    // timeout's first operand is its duration; the program follows it.
    if (name === 'timeout') at++;
    // xargs without a program runs echo.
    if (at >= args.length) return { ok: true, args: [...args] };
    if (name === 'xargs') {
      const found = resolve(args[at] ?? '');
      if (found.rule && typeof found.rule !== 'string' && found.rule.args)
        return {
          ok: false,
          reason: `xargs would run '${args[at]}' with arguments read from stdin, which '${args[at]}''s argument patterns cannot check`,
        };
    }
    return nested(at, name);
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
    let globalValue = false;
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
        if (globalValue) {
          globalValue = false;
          continue;
        }
        if (a.startsWith('-')) {
          const [opt = ''] = a.split('=');
          if (GIT_GLOBAL_VALUE.includes(opt)) globalValue = !a.includes('=');
          else if (!GIT_GLOBAL_FLAGS.includes(opt))
            return refuse(
              'an option before the subcommand that nightshift does not know for git, so it cannot tell which argument is the subcommand',
            );
          continue;
        }
        sub = a;
        if (GIT_RUNNING_SUBCOMMANDS.has(a)) return refuse(`git ${a} runs commands it is given`);
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
