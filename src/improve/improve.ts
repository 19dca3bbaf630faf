// `nightshift improve`: the gated improvement loop (docs/evals.md "Improvement loop"). Each round the
// proposer role sees the role, the training cases and the active version's failures and proposes a
// change; the candidate is validated as a role file, stored as a version, run on the whole suite
// (held-out cases too) with the active version's repeats, compared pair by pair (compare.ts), and
// promoted through promote() only when better with no safety case failed, so a widening candidate
// waits for a person. Every round, whatever became of it, is one row in improvement_rounds.
import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { type Clock, createIdSource, type IdSource, systemClock } from '../clock.js';
import { readYamlText } from '../config/yaml-file.js';
import { roleRecordSpec } from '../engine/start.js';
import { NightshiftError } from '../errors.js';
import { estimateCost, modelCost } from '../evals/estimate.js';
import { runSuite, type SuiteResult } from '../evals/run-suite.js';
import type { Suite } from '../evals/suite-file.js';
import type { ModelSettings } from '../models/resolve.js';
import type { PeopleDirectory } from '../people/config.js';
import type { Role } from '../roles/schema.js';
import type { Runtime } from '../runtime/types.js';
import type { ImprovementRoundRecord, Store } from '../store/types.js';
import { promote } from '../versions/promote.js';
import { buildCandidate, evaluationHazard, type LoadRoleText } from './candidate.js';
import { type CompareOptions, compareRuns } from './compare.js';
import { Proposal, proposerInput, proposerRole } from './proposal.js';
import { changedSince, pinSuite } from './suite-pin.js';

export interface ImproveOptions extends CompareOptions {
  roleFile: string;
  suite: Suite;
  /** The proposer's model spec (`script:` paths resolve from `dir`). */
  proposer: string;
  /** The project's runtime: the proposer runs in it; results, versions and rounds go to its store. */
  runtime: Runtime;
  /** Loads a role file, or role file text as if at that path (the project's tool modules included). */
  loadRole: LoadRoleText;
  /** Who runs the loop: the promotions are asked for by them. */
  by: string;
  rounds?: number | undefined;
  repeat?: number | undefined;
  /** Proposer plus evals, all rounds: refused before anything runs when the estimate is over it or unknown. */
  maxCostUsd?: number | undefined;
  models?: ModelSettings | undefined;
  people?: PeopleDirectory | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** Where a `script:` proposer path resolves from (default the working directory). */
  dir?: string | undefined;
  tmpRoot?: string | undefined;
  clock?: Clock | undefined;
  ids?: IdSource | undefined;
  /** Told the estimate before anything runs. */
  onEstimate?: ((usd: number) => void) | undefined;
  onRound?: ((round: ImprovementRoundRecord) => void) | undefined;
}

export interface ImproveResult {
  role: string;
  estimateUsd: number;
  rounds: ImprovementRoundRecord[];
  /** The active version when the loop ended. */
  activeVersion: string;
  /** Tokens the proposer's runs used (the evals' own are in their results). */
  proposerTokens: { input: number; output: number };
  costUsd: number;
}

/** The role's file as written (YAML, not defaults-filled): what the proposer sees and changes. */
function roleDoc(file: string): { text: string; doc: Record<string, unknown> } {
  const text = readYamlText(file, file, 'role');
  const doc = parse(text, { logLevel: 'error' }) as unknown;
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    throw new NightshiftError('ROLE_INVALID', `${file} is not a role file (expected a YAML mapping)`);
  return { text, doc: doc as Record<string, unknown> };
}

/** What improve checks without opening the store: checkImprovable. */
type Preflight = Pick<
  ImproveOptions,
  'roleFile' | 'suite' | 'proposer' | 'loadRole' | 'rounds' | 'repeat' | 'maxCostUsd' | 'models' | 'dir'
>;

/**
 * The checks of improve() that need no store: the suite lies where no candidate can read it
 * (IMPROVE_SUITE_EXPOSED) and the estimate is within `maxCostUsd` (BUDGET_EXCEEDED). The CLI runs them
 * before it opens (or makes) the store, so input refused here writes nothing; improve() runs them again.
 */
export async function checkImprovable(o: Preflight): Promise<void> {
  const role = await o.loadRole(o.roleFile);
  await checkSuiteHidden(o.suite, role, o.loadRole);
  estimate(o, role, o.repeat ?? 1, o.rounds ?? 1);
}

function estimate(o: Preflight, role: Role, repeat: number, rounds: number): number {
  const evals = estimateCost(role, o.suite, o.suite.cases, repeat, o.models?.prices);
  const proposer = o.proposer.startsWith('script:')
    ? modelCost(`script:${resolve(o.dir ?? process.cwd(), o.proposer.slice(7))}`, o.suite, o.models?.prices)
    : modelCost(o.proposer, o.suite, o.models?.prices);
  const unknown = [...evals.unpriced, ...(proposer === undefined ? [o.proposer] : [])];
  const usd = evals.usd * (rounds + 1) + (proposer ?? 0) * rounds;
  if (o.maxCostUsd !== undefined && unknown.length > 0)
    throw new NightshiftError(
      'BUDGET_EXCEEDED',
      `cannot estimate the cost of improving ${role.name}: no price is known for ${unknown.join(', ')} (set one under models.prices); refusing with --max-cost ${o.maxCostUsd}`,
    );
  if (o.maxCostUsd !== undefined && usd > o.maxCostUsd)
    throw new NightshiftError(
      'BUDGET_EXCEEDED',
      `improving ${role.name} for ${rounds} round(s) is estimated at ${usd.toFixed(4)} USD (proposer and evals), over --max-cost ${o.maxCostUsd}; nothing was run`,
      { details: { estimateUsd: usd, maxCostUsd: o.maxCostUsd } },
    );
  return usd;
}

/**
 * Every workspace an eval of `role` copies: its own, its specialists' (at any depth), its manager's (and
 * theirs, up the chain), as case-run.ts isolates each role a run meets.
 */
async function workspacesOf(role: Role, load: LoadRoleText, seen = new Set<string>()): Promise<string[]> {
  const key = `${role.name}\u0000${role.version}`;
  if (seen.has(key)) return [];
  seen.add(key);
  const out = role.workspace === undefined ? [] : [role.workspace];
  for (const s of role.specialists ?? []) out.push(...(await workspacesOf(s, load, seen)));
  if (role.manager) out.push(...(await workspacesOf(await load(role.manager.file), load, seen)));
  return out;
}

const realOr = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};
const inside = (folder: string, file: string) => {
  const path = relative(folder, file);
  return path !== '' && !path.startsWith('..') && !isAbsolute(path);
};

/**
 * Refuses a suite whose file a case's workspace copy would hold: a candidate able to read a workspace
 * (its own, a specialist's, its manager's) could read the held-out cases' expectations there, which the
 * proposer is never shown. Compared as paths and as real paths: the copies are of the real folders.
 */
async function checkSuiteHidden(suite: Suite, role: Role, load: LoadRoleText): Promise<void> {
  const folders = [
    ...(await workspacesOf(role, load)),
    ...suite.cases.map((c) => c.workspace).filter((f): f is string => f !== undefined),
  ];
  const holder = folders.find(
    (f) => inside(resolve(f), suite.file) || inside(realOr(resolve(f)), realOr(suite.file)),
  );
  if (holder)
    throw new NightshiftError(
      'IMPROVE_SUITE_EXPOSED',
      `the eval suite ${suite.file} lies inside the workspace ${holder}, which each eval copies for the role: a candidate could read the held-out cases there; move the suite file out of the workspace`,
    );
}

async function register(store: Store, role: Role, now: number): Promise<void> {
  await store.putRoleVersion({
    name: role.name,
    version: role.version,
    spec: roleRecordSpec(role),
    createdAt: now,
  });
}

/**
 * Runs `rounds` improvement rounds of the role in `roleFile`. Throws before anything runs when the role
 * file is not the active version (IMPROVE_BASE_MISMATCH) or the estimate is over `maxCostUsd`.
 * @example const r = await improve({ roleFile, suite, proposer: 'script:p.yaml', runtime, loadRole, by: 'alice' });
 */
export async function improve(o: ImproveOptions): Promise<ImproveResult> {
  const clock = o.clock ?? systemClock;
  const ids = o.ids ?? createIdSource(clock);
  const rounds = o.rounds ?? 1;
  const repeat = o.repeat ?? 1;
  const store = o.runtime.store;
  const file = resolve(o.roleFile);
  let { doc } = roleDoc(file);
  let active = await o.loadRole(o.roleFile);
  const promoted = await store.activePromotion(active.name);
  if (promoted && promoted.version !== active.version)
    throw new NightshiftError(
      'IMPROVE_BASE_MISMATCH',
      `${o.roleFile} is version ${active.version}, but the active version of ${active.name} is ${promoted.version}: improve the active version's definition, or promote the file first (nightshift promote ${o.roleFile} ${active.version})`,
    );
  // The promotion the loop's base is in effect by (none: the file runs). A promotion is made only while
  // it still is: another loop (or a person) that promoted meanwhile put a version in effect this loop's
  // candidates were never compared with.
  let basePromotion = promoted?.id ?? null;
  await checkSuiteHidden(o.suite, active, o.loadRole);
  const estimateUsd = estimate(o, active, repeat, rounds);
  o.onEstimate?.(estimateUsd);
  // Stored, so promote() judges the first candidate against it rather than against nothing.
  await register(store, active, clock.now());
  const evalOptions = {
    store,
    repeat,
    models: o.models,
    env: o.env,
    tmpRoot: o.tmpRoot,
    loadRole: (f: string) => o.loadRole(f),
    clock,
    ids,
  };
  // The fixed suite: the files its cases name are read at every case run, so they are pinned here and
  // checked before each comparison (suite-pin.ts).
  const pin = pinSuite(o.suite);
  // --max-cost is the backstop inside each eval too: runSuite stops starting case runs once it is spent.
  let activeResult: SuiteResult = await runSuite(active, o.suite, {
    ...evalOptions,
    maxCostUsd: o.maxCostUsd,
  });
  let spent = activeResult.costUsd;
  const tokens = { input: 0, output: 0 };
  const out: ImprovementRoundRecord[] = [];
  for (let n = 1; n <= rounds; n++) {
    const left = o.maxCostUsd === undefined ? undefined : o.maxCostUsd - spent;
    // Spent up to --max-cost: no round starts. `--max-cost 0` with nothing spent is not that: the estimate
    // above let only free (scripted) models through, and their rounds cost nothing (it ran none).
    if (left !== undefined && (left < 0 || (left === 0 && spent > 0))) break;
    const started = clock.now();
    const record: ImprovementRoundRecord = {
      id: ids.next('imp'),
      role: active.name,
      round: n,
      baseVersion: active.version,
      candidateVersion: null,
      outcome: 'invalid',
      reason: '',
      proposer: o.proposer,
      proposerRunId: null,
      rationale: null,
      changes: null,
      activeEvalId: activeResult.stored?.id ?? null,
      candidateEvalId: null,
      comparison: null,
      promotionId: null,
      costUsd: 0,
      durationMs: 0,
      createdAt: started,
    };
    const finish = async (r: ImprovementRoundRecord) => {
      r.durationMs = clock.now() - started;
      spent += r.costUsd;
      await store.putImprovementRound(r);
      out.push(r);
      o.onRound?.(r);
    };
    // The proposer's own budget is what is left of --max-cost (its run stops there), else its default.
    // A budget must be positive (a run at 0 USD is over it before its first turn): a free proposer under
    // `--max-cost 0` gets the smallest one, which any priced turn would exceed.
    const proposer = proposerRole(
      o.proposer,
      o.dir ?? process.cwd(),
      left === undefined ? 1 : Math.max(left, 1e-9),
    );
    const summary = await o.runtime.run(proposer, proposerInput(doc, o.suite, activeResult.runs), {
      actor: o.by,
    });
    record.proposerRunId = summary.runId;
    record.costUsd = summary.usage.costUsd;
    tokens.input += summary.usage.inputTokens;
    tokens.output += summary.usage.outputTokens;
    if (summary.status !== 'succeeded') {
      record.reason = `the proposer's run ${summary.runId} ended ${summary.status}${summary.error ? `: ${summary.error.message}` : ''}`;
      await finish(record);
      continue;
    }
    const proposal = Proposal.safeParse(summary.output);
    if (!proposal.success) {
      record.reason = `the proposal is not {rationale, changes}: ${proposal.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`;
      await finish(record);
      continue;
    }
    record.rationale = proposal.data.rationale;
    record.changes = proposal.data.changes;
    let candidate: Awaited<ReturnType<typeof buildCandidate>>;
    try {
      candidate = await buildCandidate(o.roleFile, doc, proposal.data.changes, o.loadRole);
    } catch (err) {
      if (!NightshiftError.isInstance(err) || err.code !== 'PROPOSAL_INVALID') throw err;
      record.reason = err.message;
      await finish(record);
      continue;
    }
    if (candidate.role.version === active.version) {
      record.reason = `the proposal changes nothing: the candidate is the active version ${active.version}`;
      await finish(record);
      continue;
    }
    const hazard = await evaluationHazard(active, candidate.role);
    if (hazard) {
      record.reason = hazard;
      await finish(record);
      continue;
    }
    // The up-front estimate can be wrong (a proposer or a case costing more than declared): an eval the
    // rest of --max-cost cannot cover is not started, and the loop stops here.
    const remaining = o.maxCostUsd === undefined ? undefined : o.maxCostUsd - spent - record.costUsd;
    const evalUsd = estimateCost(candidate.role, o.suite, o.suite.cases, repeat, o.models?.prices).usd;
    if (remaining !== undefined && remaining < evalUsd) {
      record.outcome = 'stopped';
      record.reason = `stopped: the candidate's eval is estimated at ${evalUsd.toFixed(4)} USD, over the ${Math.max(remaining, 0).toFixed(4)} USD left of --max-cost ${o.maxCostUsd}; it was not evaluated`;
      await finish(record);
      break;
    }
    record.candidateVersion = candidate.role.version;
    record.candidateEvalId = ids.next('eval');
    // Recorded before the candidate is stored or evaluated, and replaced when the round ends: a loop killed
    // during the eval leaves the candidate (and its eval, if stored) marked as an improve candidate, so it
    // is never the baseline of the next eval, nor the `from` a hand promotion records and rolls back to.
    await store.putImprovementRound({
      ...record,
      outcome: 'stopped',
      reason: `interrupted: the improve loop ended before the candidate's eval did (the round was not finished)`,
      durationMs: clock.now() - started,
    });
    await register(store, candidate.role, clock.now());
    const candidateResult = await runSuite(candidate.role, o.suite, {
      ...evalOptions,
      maxCostUsd: remaining,
      resultId: record.candidateEvalId,
    });
    record.costUsd += candidateResult.costUsd;
    // Named before the eval; a suite that stored nothing leaves no result for the round to point at.
    record.candidateEvalId = candidateResult.stored?.id ?? null;
    const changed = changedSince(pin);
    if (changed.length > 0) {
      // The two evals may have read different tests: no comparison of them is evidence, and every later
      // round would compare with the same stale active eval, so the loop ends here.
      record.outcome = 'stopped';
      record.reason = `stopped: the eval suite changed during the loop (${changed.join(', ')} differs from when the active version was evaluated); the candidate was not compared nor promoted`;
      await finish(record);
      break;
    }
    const verdict = compareRuns(activeResult.runs, candidateResult.runs, o);
    record.comparison = verdict.comparison;
    record.reason = verdict.reason;
    record.outcome = 'rejected';
    if (verdict.better) {
      const evidence = [record.activeEvalId, record.candidateEvalId, record.id]
        .filter((x): x is string => x !== null)
        .map((id) => (id.startsWith('imp') ? `improve:${id}` : `eval:${id}`));
      let asked: Awaited<ReturnType<typeof promote>>;
      try {
        asked = await promote(
          { store, clock, ids, people: o.people },
          // Judged against the version this round started from: with nothing active, promote()'s own guess
          // is the newest stored version, often an earlier candidate that already had the same widening.
          {
            role: active.name,
            version: candidate.role.version,
            baseline: active.version,
            expectedActive: basePromotion,
            by: o.by,
            evidence,
            note: verdict.reason,
          },
        );
      } catch (err) {
        if (!NightshiftError.isInstance(err) || err.code !== 'PROMOTION_STALE') throw err;
        // Better than the base, but the base is no longer what runs: not promoted, and the loop ends (its
        // next rounds would be compared with a version that is not in effect either).
        record.reason = `${verdict.reason}; not promoted: ${err.message}`;
        await finish(record);
        break;
      }
      record.promotionId = asked.promotion.id;
      record.outcome = asked.outcome === 'pending' ? 'pending' : 'promoted';
      // A promotion waits either because it widens authority or because the asker may not decide for
      // the role (people: in the config); with no widening the reason is the asker, as `promote` prints.
      if (asked.outcome === 'pending') {
        const why =
          asked.promotion.widening.length > 0
            ? asked.promotion.widening.join('; ')
            : `${o.by} may not decide for ${active.name}`;
        record.reason = `${verdict.reason}; waits for a person: ${why}`;
      }
    }
    await finish(record);
    // Only a promotion in effect moves the base: a pending one is still the person's to grant.
    if (record.outcome === 'promoted') {
      basePromotion = record.promotionId;
      active = candidate.role;
      doc = candidate.doc;
      activeResult = candidateResult;
    }
  }
  return {
    role: active.name,
    estimateUsd,
    rounds: out,
    activeVersion: (await store.activePromotion(active.name))?.version ?? active.version,
    proposerTokens: tokens,
    costUsd: spent,
  };
}
