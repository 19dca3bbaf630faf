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
import { secretNameForMessage } from '../secret-name.js';

/**
 * Throws SECRET_NOT_SET when `role` (the run's version) declares a secret that `loaded` (the role of that
 * name this process was given; none for a role it was not given) does not, and that is not set here; the
 * same for each of its specialists at any depth, against the loaded role's specialist of the same name
 * (a specialist's delegated runs read their own secrets in this process too). `unset`: the secrets of a
 * role not set in this process (asked only for a version other than the loaded one, so the runs of the
 * loaded role read no secrets file here).
 */
export function assertAddedSecretsSet(
  role: Role,
  loaded: Role | undefined,
  unset: (role: Role) => readonly string[],
): void {
  const gaps: { role: Role; missing: string[]; path: string[] }[] = [];
  collect(role, loaded, unset, [], gaps);
  const gap = gaps[0];
  if (!gap) return;
  const { missing } = gap;
  const one = missing.length === 1;
  const who =
    gap.path.length === 0
      ? `role ${role.name}@${role.version}`
      : `specialist ${gap.path.join(' → ')} of role ${role.name}@${role.version}`;
  const where = `the environment${gap.role.secretsFile ? ` nor in ${gap.role.secretsFile}` : ''}`;
  throw new NightshiftError(
    'SECRET_NOT_SET',
    `${who} declares ${one ? 'secret' : 'secrets'} ${missing.map(secretNameForMessage).join(', ')}, not set in this worker process (neither in ${where}): ` +
      `a version promoted after the process started added ${one ? 'it' : 'them'}; set ${one ? 'it' : 'them'} in the ${gap.path.length === 0 ? "role's" : "specialist's"} secrets file, or in the environment and restart nightshift serve, then run again`,
    {
      details: {
        secrets: missing,
        role: role.name,
        roleVersion: role.version,
        ...(gap.path.length > 0
          ? { specialist: gap.path.join('/'), specialistVersion: gap.role.version }
          : {}),
      },
    },
  );
}

/** Gaps of `role` against `loaded`, then of each specialist against the loaded one of its name. */
function collect(
  role: Role,
  loaded: Role | undefined,
  unset: (role: Role) => readonly string[],
  path: string[],
  out: { role: Role; missing: string[]; path: string[] }[],
): void {
  if (loaded !== undefined && (loaded === role || loaded.version === role.version)) return;
  const before = new Set(loaded?.secrets ?? []);
  if (!role.secrets.every((name) => before.has(name))) {
    const missing = unset(role).filter((name) => !before.has(name));
    if (missing.length > 0) out.push({ role, missing, path });
  }
  for (const specialist of role.specialists ?? []) {
    const was = loaded?.specialists?.find((s) => s.name === specialist.name);
    collect(specialist, was, unset, [...path, specialist.name], out);
  }
}
