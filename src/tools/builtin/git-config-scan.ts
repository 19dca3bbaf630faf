// A repository's own configuration can name programs git runs on ordinary commands: `diff.external` and
// a diff driver's `textconv` on `git diff`/`log -p`, a filter's `clean` on `git add`, a remote's
// `uploadpack` on `git fetch`. GIT_SAFE_CONFIG overrides the fixed names (core.fsmonitor, core.pager, …),
// but these keys carry a driver's or a remote's name, so no `-c` can cover them; and the role can write
// `.git/config` (fs.write, `sed -i`, `git config`). So before a git command runs, the configuration it
// would read from the repository (local and worktree scope, includes followed) is listed, and any key
// that names a program refuses the call. The user's and the machine's configuration are not read at all:
// every command runs with GIT_OUTSIDE_CONFIG_OFF (HOME is /tmp there, which the role can write).
//
// The listing runs on the host, as nightshift's user, outside the sandbox: so the folders it starts from
// (the call's cwd, `-C`, `--git-dir`, `--work-tree`) are confined to the workspace first, as fs tools'
// paths are (workspace.ts), and in the sandbox it does not look for a repository above the workspace.
// A repository outside is none the sandboxed command can use, and reading one handed a host
// repository's keys (a token in `url.https://user:TOKEN@host/.insteadof`) to the model, and told it which
// host paths exist (`-C /root` passed, `-C /nonexistent` was refused with git's `cannot change to`).
import { execFile } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import { resolveInside } from '../workspace.js';

/** Turns off git's global (per-user) and system configuration, for every command shell.exec runs. */
export const GIT_OUTSIDE_CONFIG_OFF = { GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' } as const;

/** Keys (lower-cased, as git lists them) that make git run a program, beyond what GIT_SAFE_CONFIG overrides. */
const RUNS_A_PROGRAM = [
  /^diff\.external$/,
  /^diff\..+\.(textconv|command)$/,
  /^filter\..+\.(clean|smudge|process)$/,
  /^merge\..+\.driver$/,
  /^remote\..+\.(uploadpack|receivepack|proxy|vcs)$/,
  /^core\.(gitproxy|alternaterefscommand|askpass)$/,
  /^gpg\..*(program|command)$/,
  /^credential\..+\.helper$/,
  /^(difftool|mergetool)\..+\.(cmd|path)$/,
  /^(uploadpack|receive|sendemail)\./,
  /^url\..+\.(insteadof|pushinsteadof)$/,
  /^(include|includeif)\./,
  // `git interpret-trailers` and `git commit --trailer` run a trailer's command; `git help -m`/`-w` (and
  // `git <cmd> --help`) run the man viewer or browser these name; `git add -p` pipes diffs through a filter.
  /^trailer\..+\.(command|cmd)$/,
  /^(man|browser)\..+\.(cmd|path)$/,
  /^(man\.viewer|help\.browser|web\.browser)$/,
  /^interactive\.difffilter$/,
  /^guitool\..+\.cmd$/,
  // `git archive --format=NAME` pipes the archive through `tar.NAME.command`, run by the shell.
  /^tar\..+\.command$/,
  // A mistyped subcommand run as its guess (`git hepl log` → man): the launcher's per-word alias stops it
  // today; refused here too, so that protection does not rest on one mechanism.
  /^help\.autocorrect$/,
];

/** Keys that run a program only for some values: a `!` alias runs a shell; `pager.<cmd>` true/false does not. */
function runsAProgram(key: string, value: string): boolean {
  if (RUNS_A_PROGRAM.some((r) => r.test(key))) return true;
  if (key.startsWith('alias.')) return value.trimStart().startsWith('!');
  // `submodule.<name>.update = !command` in .git/config runs it on `git submodule update` (unlike the same
  // line in .gitmodules, which git refuses). `git submodule` is refused already (GIT_RUNNING_SUBCOMMANDS):
  // this is a second guard, for a git that starts an update from another command.
  if (/^submodule\..+\.update$/.test(key)) return value.trimStart().startsWith('!');
  if (key.startsWith('pager.')) return !/^(true|false|yes|no|on|off|1|0|)$/i.test(value.trim());
  return false;
}

export interface GitConfigVerdict {
  ok: boolean;
  reason?: string;
}

/**
 * `text` with the user information of any URL in it (`https://user:password@`) replaced: a key such as
 * `url.<base>.insteadOf` or `credential.<url>.helper` carries a URL, often with a token in it, and the
 * refusal goes to the model and the store. Up to the last `@` of the word, so a password holding a raw
 * `@` or `/` is not left half shown (a path's `@` after the host is hidden with it: shown too little,
 * never too much).
 */
export function withoutUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, '$1[redacted]@');
}

/** git's options (GIT_GLOBAL_VALUE) whose value is a folder git works in or reads the repository from. */
const GIT_PATH_OPTIONS = ['-C', '--git-dir', '--work-tree'];

/**
 * Whether every folder git would start from lies in `workspace` (a real path): `cwd` (a real path inside
 * it, as resolveInside returned it) moved by each `-C` in turn (an empty one is none, as for git), then
 * `--git-dir` and `--work-tree` from there (git resolves them after every `-C`; from the folder where the
 * option stood too, in case). Each name is followed as the kernel does, `..` from the folder reached so far
 * (so `link/..` is the link's target's parent, not the link's), and each step is resolveInside's: an
 * absolute path outside the workspace, a `..` above it or a symlink out of it refuses. The refusal is the
 * same whatever the outside path is, and only an absolute path inside the workspace (checked as written,
 * before anything is looked up) makes the check touch the file system: whether a host path exists is not
 * told.
 */
export async function gitLocationInside(
  workspace: string,
  cwd: string,
  location: readonly string[],
): Promise<GitConfigVerdict> {
  const outside = (opt: string, value: string): GitConfigVerdict => ({
    ok: false,
    reason: `git ${opt} ${JSON.stringify(withoutUserinfo(value))}: names a folder outside the workspace (an absolute path elsewhere, a '..' above the workspace, or a symlink out of it); git here may use only a repository in the workspace, which is all the sandbox shows it; give a path relative to the workspace`,
  });
  const rel = (absolute: string): string[] =>
    absolute === workspace ? [] : absolute.slice(workspace.length + 1).split(sep);
  if (cwd !== workspace && !cwd.startsWith(`${workspace}${sep}`)) return outside('cwd', cwd);
  // Folders as names below the workspace, with no symlink in them; undefined: the value leaves it.
  const step = async (from: readonly string[], value: string): Promise<string[] | undefined> => {
    let names = [...from];
    let rest = value;
    if (value.startsWith('/')) {
      if (value !== workspace && !value.startsWith(`${workspace}/`)) return undefined;
      names = [];
      rest = value.slice(workspace.length);
    }
    for (const name of rest.split('/')) {
      if (name === '' || name === '.') continue;
      if (name === '..') {
        if (names.pop() === undefined) return undefined;
        continue;
      }
      const where = await resolveInside(workspace, [...names, name].join('/'), 'read', 'shell.exec');
      if (!where.ok || (where.absolute !== workspace && !where.absolute.startsWith(`${workspace}${sep}`)))
        return undefined;
      names = rel(where.absolute);
    }
    return names;
  };
  let here = rel(cwd);
  const later: { opt: string; value: string; at: string[] }[] = [];
  for (let i = 0; i < location.length; i++) {
    const a = location[i] ?? '';
    const eq = a.indexOf('=');
    const opt = eq < 0 ? a : a.slice(0, eq);
    if (!GIT_PATH_OPTIONS.includes(opt)) {
      if (eq < 0) i++;
      continue;
    }
    const value = eq < 0 ? (location[++i] ?? '') : a.slice(eq + 1);
    if (opt === '-C') {
      if (value === '') continue;
      const next = await step(here, value);
      if (next === undefined) return outside(opt, value);
      here = next;
    } else later.push({ opt, value, at: here });
  }
  for (const { opt, value, at } of later)
    for (const from of [here, at]) if ((await step(from, value)) === undefined) return outside(opt, value);
  return { ok: true };
}

/** Whether `path` (absolute, as git printed it) is, once its symlinks are followed, in `workspace`. */
function realInside(path: string, workspace: string): boolean {
  try {
    const real = realpathSync.native(path);
    return real === workspace || real.startsWith(`${workspace}${sep}`);
  } catch {
    return false;
  }
}

/** Runs the scan's git (its fixed environment) and hands back stdout, or the failure. */
function runGit(
  git: string,
  args: readonly string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ err: Error | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(git, args, { cwd, env, timeout: 10_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) =>
      done({ err, stdout: String(stdout), stderr: String(stderr) }),
    );
  });
}

/**
 * Lists the repository configuration `git` would read in `cwd` and refuses when a key names a program.
 * No repository there: nothing to read, allowed. Any other failure to read it refuses (fail closed).
 * The caller confines `cwd` and `location` to the workspace first (gitLocationInside). What the refusal
 * quotes (a key, git's error) is shown without a URL's user information.
 */
export async function checkRepositoryConfig(
  git: string,
  cwd: string,
  /** The command's own `-C`/`--git-dir`/`--work-tree` options, so the same repository is read. */
  location: readonly string[] = [],
  /**
   * The workspace (a real path) when the command runs in the sandbox, which shows it and nothing around
   * it. git does not look for a repository above it (GIT_CEILING_DIRECTORIES), and a repository whose git
   * folder or common folder lies outside it (a `.git` file's `gitdir:`, a `commondir` naming a host
   * repository, which git follows here on the host) refuses the call before its configuration is read.
   * Without the sandbox the command finds what git finds here, so that is what is read.
   */
  sandboxedIn?: string,
): Promise<GitConfigVerdict> {
  const env = {
    PATH: '/usr/bin:/bin',
    HOME: '/nonexistent',
    LANG: 'C.UTF-8',
    ...GIT_OUTSIDE_CONFIG_OFF,
    ...(sandboxedIn === undefined ? {} : { GIT_CEILING_DIRECTORIES: dirname(sandboxedIn) }),
  };
  // safe.directory: the workspace's files may belong to the sandbox's user; these read, and run nothing.
  const safe = ['-c', 'safe.directory=*', ...location];
  if (sandboxedIn !== undefined) {
    const where = await runGit(
      git,
      [...safe, 'rev-parse', '--path-format=absolute', '--git-dir', '--git-common-dir'],
      cwd,
      env,
    );
    // A failure (no repository here) is the listing's to judge below, which fails the same way.
    const folders = where.err ? [] : where.stdout.split('\n').filter((l) => l !== '');
    if (folders.some((f) => !realInside(f, sandboxedIn)))
      return {
        ok: false,
        reason:
          "git: the repository here keeps its git folder outside the workspace (a '.git' file's gitdir: or a commondir naming a folder elsewhere), which the sandboxed command cannot see; nightshift does not read it for the role: use a repository whose .git is in the workspace",
      };
  }
  const { err, stdout, stderr } = await runGit(
    git,
    [...safe, 'config', '--list', '--show-scope', '--includes', '-z'],
    cwd,
    env,
  );
  if (err) {
    if (/not a git repository/i.test(stderr) || /not a git repository/i.test(String(err)))
      return { ok: true };
    // `git config --list` exits 1 when there is nothing to list at all.
    if ((err as { code?: unknown }).code === 1 && stdout === '') return { ok: true };
    return {
      ok: false,
      reason: `git: could not read the repository's configuration to check it names no program (${withoutUserinfo(stderr.trim().slice(0, 200) || err.message)})`,
    };
  }
  const parts = stdout.split('\0');
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const scope = parts[i];
    if (scope !== 'local' && scope !== 'worktree') continue;
    const entry = parts[i + 1] ?? '';
    const cut = entry.indexOf('\n');
    const key = (cut < 0 ? entry : entry.slice(0, cut)).toLowerCase();
    if (runsAProgram(key, cut < 0 ? '' : entry.slice(cut + 1))) {
      const shown = withoutUserinfo(key);
      return {
        ok: false,
        reason: `git: the repository's configuration sets '${shown}', which names a program or a way to reach one that git would run; remove it (git config --unset ${shown}) from outside the role`,
      };
    }
  }
  return { ok: true };
}
