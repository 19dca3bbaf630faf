// A role's stored versions as `nightshift versions` shows them: when each was first seen, which is
// active, and its eval record when the store keeps one (the eval results table comes with `nightshift
// eval`; until then the column stays empty).
import { NightshiftError } from '../errors.js';
import type { PromotionRecord, RoleVersionRecord, Store } from '../store/types.js';
import { resolveVersionPrefix } from './prefix.js';

/** One eval of a version, as `versions` and `autonomy` read it. */
export interface EvalSummary {
  roleVersion: string;
  suite: string;
  passed: boolean;
  passRate: number;
  /** Safety cases that failed at least once. */
  safetyFailures: number;
  createdAt: number;
}

/**
 * The hook to the eval record: the newest whole-suite eval of each (version, suite), read with
 * `listEvalResults` when the store has it (src/evals/ adds it), else nothing. Structural, so this module
 * does not depend on the evals' record types.
 */
export async function evalRecord(store: object, role: string): Promise<EvalSummary[]> {
  const reader = (
    store as {
      listEvalResults?: (f: {
        role: string;
        wholeSuite: boolean;
        newestPerSuite: boolean;
      }) => Promise<unknown[]>;
    }
  ).listEvalResults;
  if (typeof reader !== 'function') return [];
  // Whole-suite evals only: one split's result (`eval --split train`) says nothing about the other
  // split's cases (held-out safety cases among them), so it must not stand as a version's latest eval.
  // Newest per suite, in the store: a window of the role's newest results would lose an older version's
  // eval (or one suite's) behind the results a busy version piles up.
  const rows = (await reader.call(store, { role, wholeSuite: true, newestPerSuite: true })) as {
    roleVersion: string;
    suite: string;
    passed: boolean;
    passRate: number;
    cases?: { safety: boolean; runs: number; passes: number }[];
    createdAt: number;
  }[];
  return rows.map((r) => ({
    roleVersion: r.roleVersion,
    suite: r.suite,
    passed: r.passed,
    passRate: r.passRate,
    safetyFailures: (r.cases ?? []).filter((c) => c.safety && c.passes < c.runs).length,
    createdAt: r.createdAt,
  }));
}

/**
 * A version's latest eval over its suites: each suite's newest eval counts, so a newer eval of one suite
 * never hides a failure of another. Passed only when every one passed; the lowest pass rate; safety
 * failures added up; suites named newest first. Exactly the eval itself when there is one suite.
 */
export function latestEval(evals: readonly EvalSummary[]): EvalSummary | undefined {
  const newest = [...evals].sort((a, b) => b.createdAt - a.createdAt);
  const [first] = newest;
  if (!first || newest.length === 1) return first;
  return {
    roleVersion: first.roleVersion,
    suite: newest.map((e) => e.suite).join(', '),
    passed: newest.every((e) => e.passed),
    passRate: Math.min(...newest.map((e) => e.passRate)),
    safetyFailures: newest.reduce((n, e) => n + e.safetyFailures, 0),
    createdAt: first.createdAt,
  };
}

/** The stored version `version` names (the whole hash, or a prefix only one version starts with). */
export async function findVersion(
  store: Pick<Store, 'getRoleVersion' | 'listRoleVersions'>,
  role: string,
  version: string,
): Promise<RoleVersionRecord> {
  const exact = await store.getRoleVersion(role, version);
  if (exact) return exact;
  const named = resolveVersionPrefix(await store.listRoleVersions(role), version, (v) => v.version);
  if (named.kind === 'found') return named.match;
  throw new NightshiftError(
    'VERSION_NOT_FOUND',
    named.kind === 'ambiguous'
      ? `version '${version}' of ${role} is ambiguous (${named.matches.map((m) => m.version).join(', ')}): give more of it`
      : `${role} has no stored version '${version}' (nightshift versions ${role} lists them; a version is stored when a run of it starts, or by nightshift versions <role file>)`,
    { details: { role, version } },
  );
}

export interface VersionRow {
  version: string;
  createdAt: number;
  active: boolean;
  /** The version's latest eval over its suites (`latestEval` of `evals`), if any. */
  eval: EvalSummary | undefined;
  /** The newest whole-suite eval of each suite, newest first. */
  evals: EvalSummary[];
}

export interface RoleVersionsView {
  role: string;
  /** Newest stored first, as `history` (and as `nightshift versions` prints them, text and `--json`). */
  versions: VersionRow[];
  active: PromotionRecord | undefined;
  /** Promotions and rollbacks, newest first (pending and refused ones too). */
  history: PromotionRecord[];
}

export async function roleVersionsView(store: Store, role: string): Promise<RoleVersionsView> {
  const [versions, active, history, evals] = await Promise.all([
    store.listRoleVersions(role),
    store.activePromotion(role),
    store.listPromotions({ role }),
    evalRecord(store, role),
  ]);
  return {
    role,
    active,
    history,
    // The store lists them oldest first; newest first here, as the history.
    versions: [...versions].reverse().map((v) => {
      const mine = evals.filter((e) => e.roleVersion === v.version).sort((a, b) => b.createdAt - a.createdAt);
      return {
        version: v.version,
        createdAt: v.createdAt,
        active: active?.version === v.version,
        eval: latestEval(mine),
        evals: mine,
      };
    }),
  };
}
