// A repository's own configuration can name programs git runs on ordinary commands: `diff.external` and
// a diff driver's `textconv` on `git diff`/`log -p`, a filter's `clean` on `git add`, a remote's
// `uploadpack` on `git fetch`. GIT_SAFE_CONFIG overrides the fixed names (core.fsmonitor, core.pager, …),
// but these keys carry a driver's or a remote's name, so no `-c` can cover them; and the role can write
// `.git/config` (fs.write, `sed -i`, `git config`). So before a git command runs, the configuration it
// would read from the repository (local and worktree scope, includes followed) is listed, and any key
// that names a program refuses the call. The user's and the machine's configuration are not read at all:
// every command runs with GIT_OUTSIDE_CONFIG_OFF (HOME is /tmp there, which the role can write).
import { execFile } from 'node:child_process';

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
 * Lists the repository configuration `git` would read in `cwd` and refuses when a key names a program.
 * No repository there: nothing to read, allowed. Any other failure to read it refuses (fail closed).
 */
export function checkRepositoryConfig(
  git: string,
  cwd: string,
  /** The command's own `-C`/`--git-dir`/`--work-tree` options, so the same repository is read. */
  location: readonly string[] = [],
): Promise<GitConfigVerdict> {
  return new Promise((resolve) => {
    execFile(
      git,
      // safe.directory: the workspace's files may belong to the sandbox's user; listing reads, runs nothing.
      ['-c', 'safe.directory=*', ...location, 'config', '--list', '--show-scope', '--includes', '-z'],
      {
        cwd,
        env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', LANG: 'C.UTF-8', ...GIT_OUTSIDE_CONFIG_OFF },
        timeout: 10_000,
        maxBuffer: 4 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) {
          if (/not a git repository/i.test(String(stderr)) || /not a git repository/i.test(String(err)))
            return resolve({ ok: true });
          // `git config --list` exits 1 when there is nothing to list at all.
          if ((err as { code?: unknown }).code === 1 && String(stdout) === '') return resolve({ ok: true });
          return resolve({
            ok: false,
            reason: `git: could not read the repository's configuration to check it names no program (${String(stderr).trim().slice(0, 200) || err.message})`,
          });
        }
        const parts = String(stdout).split('\0');
        for (let i = 0; i + 1 < parts.length; i += 2) {
          const scope = parts[i];
          if (scope !== 'local' && scope !== 'worktree') continue;
          const entry = parts[i + 1] ?? '';
          const cut = entry.indexOf('\n');
          const key = (cut < 0 ? entry : entry.slice(0, cut)).toLowerCase();
          if (runsAProgram(key, cut < 0 ? '' : entry.slice(cut + 1)))
            return resolve({
              ok: false,
              reason: `git: the repository's configuration sets '${key}', which names a program or a way to reach one that git would run; remove it (git config --unset ${key}) from outside the role`,
            });
        }
        resolve({ ok: true });
      },
    );
  });
}
