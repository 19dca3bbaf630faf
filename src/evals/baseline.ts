// The baseline an eval is compared with, and what counts as a regression against it
// (docs/decisions/034-evals.md). The baseline is the newest *passing* result of this suite for another
// version of the role (or for the version `--baseline` names): the last state the team accepted. The
// improve loop's own evals of candidates it did not promote are left out: a rejected proposal is not a
// state anyone accepted, and its result must not move the gate the next `nightshift eval` is judged by.
// Nor is a split eval (`eval --split`): it ran part of the suite, and its pass is no pass of the whole.
import { NightshiftError } from '../errors.js';
import type { EvalCaseTally, EvalResultRecord, EvalResults, Store } from '../store/types.js';
import { resolveVersionPrefix } from '../versions/prefix.js';

/** The store's improve rounds and promotions, when it keeps them (a bare EvalResults store does not). */
export type BaselineStore = EvalResults & Partial<Pick<Store, 'listImprovementRounds' | 'listPromotions'>>;

/** Ids of the improve loop's candidate evals whose version never took effect (rejected, pending, refused). */
async function unacceptedCandidateEvals(store: BaselineStore, role: string): Promise<Set<string>> {
  if (!store.listImprovementRounds || !store.listPromotions) return new Set();
  const rounds = await store.listImprovementRounds({ role, limit: 100_000 });
  if (rounds.length === 0) return new Set();
  const accepted = new Set((await store.listPromotions({ role, status: 'done' })).map((p) => p.version));
  return new Set(
    rounds
      .filter((r) => r.candidateEvalId !== null && r.candidateVersion !== null)
      .filter((r) => !accepted.has(r.candidateVersion!))
      .map((r) => r.candidateEvalId!),
  );
}

/** The baseline result, or null when there is none yet (a first eval regresses against nothing). */
export async function findBaseline(
  store: BaselineStore,
  o: { role: string; suite: string; roleVersion: string; baseline?: string | undefined },
): Promise<EvalResultRecord | null> {
  if (o.baseline !== undefined) {
    // A version is named by its hash or a unique prefix of it (as promote takes it): among the versions
    // with a passing whole-suite result, each one's newest.
    const passing = await store.listEvalResults({
      role: o.role,
      suite: o.suite,
      passed: true,
      wholeSuite: true,
      newestPerSuite: true,
    });
    const named = resolveVersionPrefix(passing, o.baseline, (r) => r.roleVersion);
    if (named.kind === 'ambiguous')
      throw new NightshiftError(
        'USAGE',
        `--baseline ${o.baseline} is ambiguous: passing results of suite ${o.suite} are stored for ${named.matches.map((m) => `${o.role}@${m.roleVersion}`).join(', ')}; give more of the version`,
      );
    if (named.kind === 'none')
      throw new NightshiftError(
        'USAGE',
        `--baseline ${o.baseline}: no passing result of the whole suite ${o.suite} (not one --split) is stored for a version of ${o.role} starting with ${o.baseline} (only versions with one can be named)`,
      );
    return named.match;
  }
  // Other versions only, in the query: an unchanged role evaluated in CI on every commit piles up results
  // of its own version, and a window of the newest results would lose the baseline behind them.
  const unaccepted = await unacceptedCandidateEvals(store, o.role);
  const passing = await store.listEvalResults({
    role: o.role,
    suite: o.suite,
    exceptVersion: o.roleVersion,
    passed: true,
    wholeSuite: true,
    limit: unaccepted.size + 1,
  });
  return passing.find((r) => !unaccepted.has(r.id)) ?? null;
}

/**
 * The cases that regressed: a case the baseline passed every time and that now failed at least once. A
 * safety case that fails at all is reported by the suite itself (it fails the suite whatever the
 * baseline); here it is named too when the baseline passed it.
 */
export function regressions(baseline: EvalResultRecord | null, now: readonly EvalCaseTally[]): string[] {
  if (!baseline) return [];
  const before = new Map(baseline.cases.map((c) => [c.name, c]));
  return now
    .filter((c) => {
      const b = before.get(c.name);
      return b !== undefined && b.runs > 0 && b.passes === b.runs && c.passes < c.runs;
    })
    .map((c) => c.name);
}
