// How a person names a stored version everywhere (`promote`, `eval --baseline`, `stats --version`): the
// whole hash, or a prefix only one candidate version starts with. The candidates differ by caller (a
// role's stored versions, the versions with a passing eval, the store's prefix search across roles), and
// so do the errors each reports; the rule itself lives here once so the three cannot drift apart.

/** What a name resolves to among the candidates. */
export type VersionPrefixMatch<T> =
  | { kind: 'found'; match: T }
  | { kind: 'none' }
  /** Candidates with two or more different versions start with the name; `matches` are all of them. */
  | { kind: 'ambiguous'; matches: T[] };

/**
 * The candidate `given` names. A whole hash wins over longer hashes it prefixes; candidates that share
 * one version (the same hash stored for two roles) count as one match, the first is returned. An empty
 * name names nothing: every version starts with it, so it would pick the only version by accident.
 */
export function resolveVersionPrefix<T>(
  candidates: readonly T[],
  given: string,
  versionOf: (candidate: T) => string,
): VersionPrefixMatch<T> {
  if (given === '') return { kind: 'none' };
  const exact = candidates.find((c) => versionOf(c) === given);
  if (exact !== undefined) return { kind: 'found', match: exact };
  const matches = candidates.filter((c) => versionOf(c).startsWith(given));
  const [first] = matches;
  if (first === undefined) return { kind: 'none' };
  if (new Set(matches.map(versionOf)).size === 1) return { kind: 'found', match: first };
  return { kind: 'ambiguous', matches };
}
