// A run of a role version this worker did not load from a file (a version promoted after the process
// started, or an older one a run in flight still uses) may declare secrets the loaded role does not. Their
// values reach the run the same way as the loaded role's: from this process's environment (fixed when it
// started; `serve --workers` children inherit the parent's) or from the version's secrets file (read when
// the version is first prepared in this process). A secret set neither way cannot reach the run without a
// restart: the run fails, naming the secret, rather than run without it. Secrets the loaded role declares
// too keep today's behaviour (a tool that needs one unset fails its call), so nothing that ran before a
// promotion fails after it for a secret nobody added.
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';

/**
 * Throws SECRET_NOT_SET when `role` (the run's version) declares a secret that `loaded` (the role of that
 * name this process was given; none for a role it was not given) does not, and that is not set here.
 * `unset`: the secrets of `role` not set in this process (asked only for a version other than the loaded
 * one, so the runs of the loaded role read no secrets file here).
 */
export function assertAddedSecretsSet(
  role: Role,
  loaded: Role | undefined,
  unset: (role: Role) => readonly string[],
): void {
  if (loaded === role || loaded?.version === role.version) return;
  const before = new Set(loaded?.secrets ?? []);
  if (role.secrets.every((name) => before.has(name))) return;
  const missing = unset(role).filter((name) => !before.has(name));
  if (missing.length === 0) return;
  const where = `the environment${role.secretsFile ? ` nor in ${role.secretsFile}` : ''}`;
  throw new NightshiftError(
    'SECRET_NOT_SET',
    `role ${role.name}@${role.version} declares ${missing.length === 1 ? 'secret' : 'secrets'} ${missing.join(', ')}, not set in this worker process (neither in ${where}): ` +
      `a version promoted after the process started added ${missing.length === 1 ? 'it' : 'them'}; set ${missing.length === 1 ? 'it' : 'them'} in the role's secrets file, or in the environment and restart nightshift serve, then run again`,
    { details: { secrets: missing, role: role.name, roleVersion: role.version } },
  );
}
