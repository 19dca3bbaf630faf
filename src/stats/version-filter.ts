// `stats --version` (and `GET /stats?version=`) names a version as `promote` and `eval --baseline` do: the
// whole hash or a prefix only one stored version starts with. Resolved before the report is computed,
// because the report's own filter is an exact match and a prefix would silently give "no runs".
import { NightshiftError } from '../errors.js';
import type { RoleVersionRecord } from '../store/types.js';
import { resolveVersionPrefix } from '../versions/prefix.js';

interface VersionFinder {
  findRoleVersions(prefix: string, role?: string): Promise<RoleVersionRecord[]>;
}

/** The filter with its `version` as the whole hash; USAGE when ambiguous, VERSION_NOT_FOUND when unknown. */
export async function resolveVersionFilter<F extends { role?: string; version?: string }>(
  store: VersionFinder,
  filter: F,
  /**
   * How the caller names the version and the role, for the messages: the CLI's flags, or the API's query
   * parameters (an API client cannot pass `--role`); and where it finds the versions there are (an API
   * client cannot run `nightshift versions`).
   */
  givenAs: { version: string; role: string; listed: string } = {
    version: '--version',
    role: '--role',
    listed: 'nightshift versions <role> lists them',
  },
): Promise<F> {
  if (filter.version === undefined) return filter;
  const given = filter.version;
  // The store's search already keeps only versions starting with `given` (at most 20 of them).
  const candidates = given === '' ? [] : await store.findRoleVersions(given, filter.role);
  const named = resolveVersionPrefix(candidates, given, (m) => m.version);
  const whose = filter.role === undefined ? 'no role has a' : `${filter.role} has no`;
  if (named.kind === 'found') return { ...filter, version: named.match.version };
  if (named.kind === 'none')
    throw new NightshiftError(
      'VERSION_NOT_FOUND',
      `${givenAs.version} ${given}: ${whose} stored version starting with '${given}' (${givenAs.listed})`,
      { details: { role: filter.role ?? null, version: given } },
    );
  const matches = named.matches;
  const listed = matches.map((m) => `${m.name}@${m.version}`).join(', ');
  throw new NightshiftError(
    'USAGE',
    `${givenAs.version} ${given} is ambiguous: stored versions starting with it are ${listed}${matches.length >= 20 ? ', …' : ''}; give more of the version${filter.role === undefined ? ` or ${givenAs.role}` : ''}`,
  );
}
