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
    shortFlags: '0oprtx',
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
  // Multicall programs act as the name they are invoked by, which the checks below would then have to trust.
  'coreutils',
  'toybox',
]);
/** One file that is many programs (`busybox cat`, `coreutils --coreutils-prog=env`): run as the name invoked. */
const MULTICALL = new Set(['busybox', 'coreutils', 'toybox']);
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
/** tar's own options whose names begin one above: getopt takes an exact name over an abbreviation. */
const TAR_EXACT = ['checkpoint'];
/** tar's short options that take a value: the rest of a dash cluster or the next argument. */
const TAR_SHORT_VALUE = 'bCfFgHIKLNTVX';
/**
 * git's long options that run a program, set configuration (which can name one: core.pager, core.sshCommand),
 * or run one configuration names (textconv, filters, an external diff). Refused wherever they stand, and
 * so is any abbreviation of one (git's parse-options takes an unambiguous prefix).
 */
const GIT_RUNS = [
  'config-env',
  'config',
  'exec-path',
  'upload-pack',
  'receive-pack',
  'exec',
  'extcmd',
  'ext-diff',
  'tool',
  'open-files-in-pager',
  'textconv',
  'filters',
  // `git clone --template=DIR` (and `init`) copies DIR's `config` into the new repository, and the clone's
  // checkout then runs the smudge filter it names: a configuration the check before the call never read.
  'template',
];
/**
 * git's own long options whose names begin one above, by the subcommands that have them (`format-patch
 * --to`, `clone --filter`, `diff --text`): there the exact name is that option. Elsewhere the same text
 * abbreviates the dangerous one (`blame --text` is `--textconv`, `cat-file --filter` is `--filters`).
 */
const GIT_EXACT: Record<string, readonly string[]> = {
  to: ['format-patch'],
  filter: ['clone', 'fetch', 'pull', 'rev-list', 'pack-objects'],
  text: [
    'log',
    'show',
    'diff',
    'diff-files',
    'diff-index',
    'diff-tree',
    'grep',
    'format-patch',
    'whatchanged',
  ],
};
/**
 * Short options that run a program, by subcommand: `rebase -x CMD`, `clone -u PROG`, `clone -c NAME=VALUE`,
 * `ls-remote -u PROG`, `grep -O[CMD]`. Refused anywhere in a cluster (`-ix CMD`, `-x'CMD'`): where a value
 * starts in one cannot be known without every option of every subcommand.
 */
const GIT_SHORT_RUNS: Record<string, string> = {
  rebase: 'x',
  clone: 'uc',
  'ls-remote': 'u',
  grep: 'O',
  config: 'f',
};
/**
 * `git config`'s options that write (or read) configuration files other than the repository's, which the
 * check before each git call does not read: HOME is /tmp, shared between calls without the sandbox, so
 * `git config --global diff.external CMD` would set a program the next `git diff` runs unchecked.
 */
const GIT_CONFIG_ELSEWHERE = ['global', 'system', 'file', 'blob'];
/** git's options before the subcommand (git(1)): those that take the next argument, and the flags. */
export const GIT_GLOBAL_VALUE = [
  '-C',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--attr-source',
];
const GIT_GLOBAL_FLAGS = [
  '-v',
  '--version',
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
const HELP_REFUSED =
  "git's manual would start a viewer (man, info or a browser) and a pager, which are not on the allowlist; `git <command> -h` prints a command's usage";
/** git subcommands that run commands given as their arguments, or that serve or mail what they are given. */
const GIT_RUNNING_SUBCOMMANDS = new Set([
  'bisect',
  'submodule',
  'filter-branch',
  'difftool',
  'mergetool',
  'daemon',
  'web--browse',
  'instaweb',
  'send-email',
  'imap-send',
  'credential',
  'http-backend',
  'shell',
  'upload-pack',
  'receive-pack',
  'upload-archive',
  'remote-ext',
  'remote-fd',
  // `git merge-index PROGRAM -a` runs PROGRAM (any, found on PATH) for each unmerged file.
  'merge-index',
  // `git for-each-repo --config=KEY CMD` runs git in each repository KEY lists: repositories whose own
  // configuration (a `!` alias, `diff.external`) the check before the call never read.
  'for-each-repo',
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
  // A local repository as a remote (`git push ../other.git`, `git archive --remote=../other.git`) runs git
  // in that repository, where its hooks and its `tar.<format>.command` apply: git drops these `-c` settings
  // for a local transport (GIT_CONFIG_PARAMETERS is in its local_repo_env), and the check before the call
  // reads only the call's own repository. So no local path or file:// URL is a remote (decision 073).
  'protocol.file.allow=never',
  'credential.helper=',
  'gpg.program=gpg',
  'gpg.ssh.program=ssh-keygen',
  'gpg.x509.program=gpgsm',
];
/** `sort --compress-program`, `split --filter`, `diff3`/`sdiff --diff-program`: a long option that runs a program. */
const LONG_RUNS: Record<string, { long: readonly string[]; short: string; why: string }> = {
  sort: { long: ['compress-program'], short: '', why: 'sort would run the program --compress-program names' },
  split: { long: ['filter'], short: '', why: 'split would run the shell command --filter gives' },
  diff3: { long: ['diff-program'], short: '', why: 'diff3 would run the program --diff-program names' },
  sdiff: {
    long: ['diff-program', 'output'],
    short: 'o',
    why: 'sdiff would run the program --diff-program names, or an editor from its input (-o)',
  },
  diff: {
    long: ['paginate'],
    short: 'l',
    why: 'diff -l runs pr, which is not checked against the allowlist',
  },
};
const AWKS = new Set(['awk', 'mawk', 'nawk', 'original-awk', 'gawk']);

/**
 * `a` as a long option naming one of `names`, or an unambiguous abbreviation of one (GNU getopt and git's
 * parse-options both take a prefix); an exact name in `exact` is that other option, not an abbreviation.
 */
const isLong = (a: string, names: readonly string[], exact: readonly string[] = []) => {
  if (!a.startsWith('--') || a === '--') return undefined;
  const name = a.slice(2).split('=')[0] ?? '';
  if (name.length === 0 || (exact.includes(name) && !names.includes(name))) return undefined;
  return names.find((n) => n.startsWith(name));
};

/** Which of nightshift's checks a program name gets: undefined for a program that starts no other. */
function kindOf(name: string): string | undefined {
  if (UNEXAMINED.has(name)) return 'unexamined';
  if (name === 'find' || name === 'tar' || name === 'git' || name === 'sed') return name;
  if (WRAPPER_OPTIONS[name]) return name;
  if (name === 'gawk') return 'gawk';
  if (AWKS.has(name)) return 'awk';
  if (LONG_RUNS[name]) return name;
  return undefined;
}

/**
 * The checks a program gets, by both the name it is invoked by and its real file's name (a link named
 * `mytool` to find is find; busybox invoked as `env` is env): the real name's kind when it has one, else the
 * invoked name's. Two different kinds cannot both be honoured, and fail closed.
 */
function kindOfProgram(
  command: string,
  realName: string | undefined,
): string | undefined | { refused: string } {
  const invoked = basename(command);
  const asInvoked = kindOf(invoked);
  if (realName && MULTICALL.has(realName) && invoked !== realName)
    return asInvoked === undefined
      ? undefined
      : {
          refused: `${command} is ${realName}, one file that is many programs; nightshift does not check it as ${invoked}`,
        };
  const asReal = realName === undefined ? undefined : kindOf(realName);
  if (asReal === undefined) return asInvoked;
  if (asInvoked === undefined || asInvoked === asReal) return asReal;
  // `awk` is a link to gawk or mawk: the real one says which.
  if (AWKS.has(invoked) && (asReal === 'gawk' || asReal === 'awk')) return asReal;
  return {
    refused: `${command} is ${realName}: invoked by one name and installed as another, it cannot be checked as either`,
  };
}

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
 * vector to run: for GNU awk and GNU sed, `--sandbox` first (no system(), pipes, `e`, `r`/`w`); for tar,
 * `--force-local`; for git, configuration that names no program. A program another one starts gets its own
 * vector put back in the outer one (`timeout 5 awk ...` runs awk with `--sandbox`).
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
  const patterned = typeof rule !== 'string' && !!rule.args;
  if (typeof rule !== 'string' && rule.args) {
    for (const [i, a] of args.entries())
      if (!rule.args.some((re) => regexMatchesWhole(re, a)))
        return {
          ok: false,
          reason: `argument ${i} ${JSON.stringify(a)} of ${command} matches none of the allowed patterns (${rule.args.join(', ')})`,
        };
  }
  if (depth > 4) return { ok: false, reason: `${command}: programs nested more than 4 deep` };
  const kind = kindOfProgram(command, self.realName);
  if (typeof kind === 'object') {
    if (patterned) return { ok: true, args: [...args] };
    return {
      ok: false,
      reason: `${kind.refused}; list the program itself, or give ${command} args patterns`,
    };
  }
  const checkLaunchAt = (vector: readonly string[], at: number, of: string, end: number): LaunchCheck => {
    const inner = vector[at] ?? '';
    const found = resolve(inner);
    if (!found.rule)
      return {
        ok: false,
        reason: `${command} would run '${inner}' (${of}), which is not on this role's allowlist: an allowlisted program may not start one that is not`,
      };
    const checked = checkLaunch(inner, vector.slice(at + 1, end), found, resolve, depth + 1);
    return checked.ok
      ? { ok: true, args: [...vector.slice(0, at + 1), ...checked.args, ...vector.slice(end)] }
      : checked;
  };
  const nested = (at: number, of: string): LaunchCheck => checkLaunchAt(args, at, of, args.length);
  if (kind === 'unexamined' && !patterned)
    return {
      ok: false,
      reason: `${command} runs whatever program its arguments name, and nightshift does not read its options to check it; list the program itself, or give ${command} args patterns`,
    };
  if (kind === 'find') {
    let out = [...args];
    for (let i = 0; i < out.length; i++) {
      if (!FIND_EXEC.has(out[i] ?? '')) continue;
      let end = i + 2;
      // GNU find ends the command at `;`, or at a `+` right after `{}`; any other `+` is an argument
      // of the command (`-exec tar + --checkpoint-action=exec=sh f ;`).
      while (end < out.length && out[end] !== ';' && !(out[end] === '+' && out[end - 1] === '{}')) end++;
      // find puts the file name in for `{}` inside a longer argument too (`--u{}`), after this check.
      for (const a of out.slice(i + 1, end))
        if (a !== '{}' && a.includes('{}'))
          return {
            ok: false,
            reason: `find ${out[i]}: argument ${JSON.stringify(a)} has {} inside it, which find replaces with a file name after this check; pass {} as an argument of its own`,
          };
      const before = out.length;
      const r = checkLaunchAt(out, i + 1, `find ${out[i]}`, end);
      if (!r.ok) return r;
      out = r.args;
      i = end + (out.length - before);
    }
    return { ok: true, args: out };
  }
  const grammar = kind === undefined ? undefined : WRAPPER_OPTIONS[kind];
  if (kind !== undefined && grammar) {
    const parsed = firstOperand(args, grammar);
    if (!parsed.ok) return { ok: false, reason: `${command}: ${parsed.reason}` };
    let at = parsed.at;
    if (kind === 'env') {
      // `env -u GIT_CONFIG_GLOBAL git diff` would read $HOME/.gitconfig again (shell-exec.ts, commandEnv).
      const unpin = args.slice(0, at).find((a) => a.includes('GIT_CONFIG'));
      if (unpin)
        return {
          ok: false,
          reason: `env ${JSON.stringify(unpin)}: would unset a variable that keeps git from reading configuration outside the repository`,
        };
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
    if (kind === 'timeout') at++;
    // xargs without a program runs echo.
    if (at >= args.length) return { ok: true, args: [...args] };
    if (kind === 'xargs') {
      const inner = args[at] ?? '';
      const found = resolve(inner);
      if (found.rule && typeof found.rule !== 'string' && found.rule.args)
        return {
          ok: false,
          reason: `xargs would run '${inner}' with arguments read from stdin, which '${inner}''s argument patterns cannot check`,
        };
      // Arguments read from stdin are checked by no one: `xargs find` with `. -exec sh ;` on stdin.
      const innerKind = kindOfProgram(inner, found.realName);
      if (innerKind !== undefined)
        return {
          ok: false,
          reason: `xargs would run '${inner}' with arguments read from stdin, and '${inner}' is a program whose arguments nightshift checks (what it runs, or options that run one): run it directly`,
        };
    }
    return nested(at, kind);
  }
  if (kind === 'gawk' || kind === 'sed') {
    // GNU's own switch: no system(), no pipes or redirections to commands (awk), no `e`, `r` or `w` (sed).
    return { ok: true, args: ['--sandbox', ...args] };
  }
  if (kind === 'awk') return checkPlainAwk(command, args);
  if (kind === 'tar') return checkTar(args);
  if (kind === 'git') return checkGit(args);
  const runs = kind === undefined ? undefined : LONG_RUNS[kind];
  if (runs) {
    // Every argument, past a `--` too: `--` may be an option's value (`sort -o -- --compress-program=x`),
    // and refusing a file named like one of these options is the price.
    for (const [i, a] of args.entries()) {
      const long = isLong(a, runs.long);
      const short = /^-[^-]/.test(a) && [...runs.short].some((c) => a.slice(1).includes(c));
      if (long || short) return { ok: false, reason: `argument ${i} ${JSON.stringify(a)}: ${runs.why}` };
    }
  }
  return { ok: true, args: [...args] };
}

/**
 * An awk with no sandbox mode (mawk, Debian's default): its options read as POSIX's (`-F fs`, `-v var=value`),
 * a program file (`-f`), mawk's `-W` (`-W exec FILE` reads the program from a file or stdin) and any long
 * option are refused, and the program text may not name system() or a pipe (`|`, which getline from a
 * command needs too). A `||` in a program is refused with them: the check reads text, not awk's grammar.
 */
function checkPlainAwk(command: string, args: readonly string[]): LaunchCheck {
  const refuse = (i: number, why: string): LaunchCheck => ({
    ok: false,
    reason: `argument ${i} ${JSON.stringify(args[i])}: ${why}; install GNU awk (gawk), which nightshift runs with --sandbox`,
  });
  let i = 0;
  while (i < args.length) {
    const a = args[i] ?? '';
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a === '-F' || a === '-v') i += 2;
    else if (a.startsWith('-F') || a.startsWith('-v')) i++;
    else
      return refuse(
        i,
        `${command} has no sandbox mode, and nightshift takes only -F and -v before its program text`,
      );
  }
  const program = args[i];
  if (program === undefined) return { ok: true, args: [...args] };
  if (/system|\|/.test(program))
    return refuse(
      i,
      `${command} has no sandbox mode, and system() and pipes (| and getline from a command) run commands`,
    );
  return { ok: true, args: [...args] };
}

function checkTar(args: readonly string[]): LaunchCheck {
  const refuse = (i: number, what: string): LaunchCheck => ({
    ok: false,
    reason: `argument ${i} ${JSON.stringify(args[i])}: tar would run a program it names (${what})`,
  });
  // The old-style first argument (`tar czf out.tgz dir`) is letters only, each taking its value from the
  // arguments after it, in order.
  const oldStyle = args.length > 0 && !(args[0] ?? '').startsWith('-');
  let oldValues = 0;
  for (const [i, a] of args.entries()) {
    if (i === 0 && oldStyle) {
      if (/[IF]/.test(a)) return refuse(i, '-I or -F');
      oldValues = [...a].filter((c) => TAR_SHORT_VALUE.includes(c)).length;
      continue;
    }
    // No stop at `--`: it may be an option's value (`tar cf -- --checkpoint-action=exec=x .`).
    const long = isLong(a, TAR_RUNS, TAR_EXACT);
    if (long) return refuse(i, `--${long}`);
    if (a.startsWith('-') && !a.startsWith('--')) {
      // A dash cluster: letters up to the first that takes a value; the rest is that value (`-C/home/Images`).
      for (const c of a.slice(1)) {
        if (c === 'I' || c === 'F') return refuse(i, '-I or -F');
        if (TAR_SHORT_VALUE.includes(c)) break;
      }
    }
  }
  // A remote archive (`host:file`) goes through rsh: read every file name as local. After the old-style
  // first argument's values, which would otherwise take it as one.
  const at = oldStyle ? Math.min(args.length, 1 + oldValues) : 0;
  return { ok: true, args: [...args.slice(0, at), '--force-local', ...args.slice(at)] };
}

function checkGit(args: readonly string[]): LaunchCheck {
  let sub: string | undefined;
  let subAt = -1;
  let globalValue = false;
  for (const [i, a] of args.entries()) {
    const refuse = (why: string): LaunchCheck => ({
      ok: false,
      reason: `argument ${i} ${JSON.stringify(a)}: ${why}`,
    });
    // git's manual starts man (or info, or a browser), which starts a pager: none is on the allowlist. git
    // (2.39's git.c) reads a request for it in three places only: `--help` or `-h` among its own options
    // (`git -C . --help log`, `git -h log`), the subcommand `help`, and `--help` right after the
    // subcommand (`git log --help`, whatever follows: `git log --help -w` opens a browser). Anywhere else
    // `--help` is an option's value (`git grep -e --help`, `git commit -m --help`), a pathspec, or the
    // subcommand's own option, which prints its usage as `git log -h` does.
    if (sub === undefined && !globalValue && (a === '--help' || a === '-h'))
      return refuse(`${HELP_REFUSED} (git ${a})`);
    if (sub !== undefined && i === subAt + 1 && a === '--help')
      return refuse(`${HELP_REFUSED} (git ${sub} --help)`);
    const exact = Object.keys(GIT_EXACT).filter((n) => sub !== undefined && GIT_EXACT[n]?.includes(sub));
    const long = isLong(a, GIT_RUNS, exact);
    if (long)
      return refuse(`git would run a program this option names, or set configuration that can (--${long})`);
    if (sub === undefined) {
      // Before the subcommand: `-c name=value` sets configuration, which can name a program.
      if (globalValue) {
        globalValue = false;
        continue;
      }
      if (a === '-c' || /^-c./.test(a))
        return refuse('git -c sets configuration, which can name a program to run');
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
      subAt = i;
      if (a === 'help') return refuse(`${HELP_REFUSED} (git help)`);
      // git's internal helpers (`difftool--helper` runs the repository's `diff.tool`, `bisect--helper` and
      // `submodule--helper` run what they are given, the `--daemon`s serve): none is for a caller.
      if (a.includes('--')) return refuse(`git ${a} is one of git's internal helpers, not a command to call`);
      if (GIT_RUNNING_SUBCOMMANDS.has(a)) return refuse(`git ${a} runs commands it is given`);
      continue;
    }
    // Past a `--` too: it may be an option's value (`git config --comment -- --global diff.external X`).
    const elsewhere = sub === 'config' ? isLong(a, GIT_CONFIG_ELSEWHERE) : undefined;
    if (elsewhere)
      return refuse(
        `git config --${elsewhere} reaches configuration outside the repository, which nightshift does not check before git runs`,
      );
    const shortRuns = GIT_SHORT_RUNS[sub];
    if (shortRuns && /^-[^-]/.test(a)) {
      const c = [...a.slice(1)].find((x) => shortRuns.includes(x));
      if (c)
        return refuse(
          `git ${sub} -${c} runs a program or sets configuration (refused anywhere in a cluster)`,
        );
    }
  }
  // An alias the workspace's .git/config defines (`st = !sh -c ...`) runs a shell; git ignores an alias that
  // names a command of its own, so emptying the one for this subcommand changes nothing else.
  const alias = sub === undefined ? [] : ['-c', `alias.${sub}=`];
  return { ok: true, args: [...GIT_SAFE_CONFIG.flatMap((c) => ['-c', c]), ...alias, ...args] };
}
