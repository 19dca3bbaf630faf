// The OS sandbox for commands: bubblewrap. Read-only root, the workspace as the only writable place, a
// private /tmp, home folders hidden, no network unless the role allows it, new PID (and every other)
// namespace, killed with its parent. Where bubblewrap cannot run, callers refuse: there is no silent
// fallback to an unsandboxed spawn.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const SANDBOX_PATH = '/usr/local/bin:/usr/bin:/bin';

let cached: { bwrap: string; ok: boolean; reason: string } | undefined;

/** The bubblewrap binary to use (NIGHTSHIFT_BWRAP overrides, e.g. to test the refusal path). */
export function bwrapPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.NIGHTSHIFT_BWRAP || '/usr/bin/bwrap';
}

/** Whether bubblewrap can create a sandbox on this machine (checked once per process and binary). */
export function sandboxAvailable(env: NodeJS.ProcessEnv = process.env): { ok: boolean; reason: string } {
  const bwrap = bwrapPath(env);
  if (cached && cached.bwrap === bwrap) return cached;
  let result: { ok: boolean; reason: string };
  if (!existsSync(bwrap)) {
    result = { ok: false, reason: `bubblewrap not found at ${bwrap} (Debian package: bubblewrap)` };
  } else {
    const probe = spawnSync(
      bwrap,
      [
        '--ro-bind',
        '/',
        '/',
        '--dev',
        '/dev',
        '--proc',
        '/proc',
        '--unshare-all',
        '--die-with-parent',
        '/bin/true',
      ],
      {
        encoding: 'utf8',
        timeout: 10_000,
      },
    );
    result =
      probe.status === 0
        ? { ok: true, reason: 'bubblewrap works' }
        : {
            ok: false,
            reason: `bubblewrap cannot create a sandbox here: ${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}`,
          };
  }
  cached = { bwrap, ...result };
  return result;
}

export interface SandboxSpec {
  workspace: string;
  cwd: string;
  network: boolean;
  /** Passed as bwrap's own environment (spawn option), never on its command line. */
  env: Record<string, string>;
  program: string;
  args: string[];
}

/** The bwrap argument vector that runs `program args` inside the sandbox. */
export function bwrapArgs(spec: SandboxSpec): string[] {
  const out = ['--die-with-parent', '--new-session', '--unshare-all'];
  if (spec.network) out.push('--share-net');
  out.push('--ro-bind', '/', '/', '--dev', '/dev', '--proc', '/proc', '--tmpfs', '/tmp');
  // Hide home folders (keys, tokens, shell history); the workspace is bound back below if it lives there.
  // /run holds the host's Unix sockets (Postgres, D-Bus, docker): a network namespace does not stop
  // connect() on a socket file, so the folder is replaced by an empty one.
  for (const hidden of ['/root', '/home', '/run']) if (existsSync(hidden)) out.push('--tmpfs', hidden);
  // No --setenv: values on a command line are visible to every local user (/proc/<pid>/cmdline). The
  // scrubbed environment is bwrap's own (see bwrapEnv), which the sandboxed program inherits.
  out.push('--bind', spec.workspace, spec.workspace, '--chdir', spec.cwd);
  out.push('--', spec.program, ...spec.args);
  return out;
}
