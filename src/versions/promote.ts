// Promotion and rollback: library functions (the CLI and the improve loop call them) that make a role
// version the active one. The decision is made before anything is written: a promotion that widens
// authority, or one asked for by someone not allowed to decide for the role, is recorded as pending and
// takes effect only when a person allowed for the role grants it (grantPromotion).
import { checkActor } from '../approvals/actor.js';
import { AUDIT_ACTIONS } from '../audit/actions.js';
import { type Clock, ID_PREFIX, type IdSource } from '../clock.js';
import { NightshiftError } from '../errors.js';
import type { PeopleDirectory } from '../people/config.js';
import { checkMayDecide, mayDecide } from '../people/may-decide.js';
import type {
  NewAuditEvent,
  PromotionKind,
  PromotionRecord,
  RoleVersionRecord,
  Store,
} from '../store/types.js';
import { findVersion } from './versions.js';
import { authorityWidening } from './widening.js';

export type PromotionStore = Pick<
  Store,
  | 'getRoleVersion'
  | 'listRoleVersions'
  | 'activePromotion'
  | 'getPromotion'
  | 'applyPromotion'
  | 'listRuns'
  | 'listPromotions'
> &
  Partial<Pick<Store, 'listImprovementRounds'>>;

export interface PromotionContext {
  store: PromotionStore;
  clock: Clock;
  ids: IdSource;
  /** Who may decide for which roles (nightshift.config.yaml `people:`); undefined: anyone named. */
  people?: PeopleDirectory | undefined;
}

export interface PromoteRequest {
  role: string;
  /** A stored version of the role, or a unique prefix of one. */
  version: string;
  /** Who asks: a person, or a system acting for one (the improve loop). */
  by: string;
  /** What the promotion rests on (eval result ids, a ticket, a note), kept with it and in the audit log. */
  evidence?: string[] | undefined;
  note?: string | undefined;
  /**
   * The version the caller started from, judged against (with the active one, if any) instead of the
   * guessed baselines. The improve loop sets it: with nothing active, the newest stored version is often an
   * earlier candidate of the same loop, and a widening judged against that one would not show.
   */
  baseline?: string | undefined;
  /**
   * The promotion the caller saw active when it judged the candidate better (null: none). When another is
   * active now and it put in effect a version other than `baseline`, nothing is written and
   * PROMOTION_STALE is thrown: the candidate was never compared with the version now in effect (two
   * improve loops of one role, each promoting over the other).
   */
  expectedActive?: string | null | undefined;
}

export interface PromotionResult {
  promotion: PromotionRecord;
  /** `promoted`: in effect now; `pending`: waits for a person; `unchanged`: the version was already active. */
  outcome: 'promoted' | 'pending' | 'unchanged';
}

function audit(p: PromotionRecord, actor: string, at: number): NewAuditEvent {
  const action =
    p.status === 'pending'
      ? AUDIT_ACTIONS.promotionRequested
      : p.status === 'refused'
        ? AUDIT_ACTIONS.promotionRefused
        : p.kind === 'rollback'
          ? AUDIT_ACTIONS.roleVersionRolledBack
          : AUDIT_ACTIONS.roleVersionPromoted;
  return {
    at,
    actor,
    action,
    runId: null,
    target: p.role,
    data: {
      promotion: p.id,
      from: p.fromVersion,
      to: p.version,
      requestedBy: p.requestedBy,
      evidence: p.evidence,
      widening: p.widening,
      ...(p.note ? { note: p.note } : {}),
    },
  };
}

/** The versions the improve loop stored as its candidates for the role (src/improve/). */
async function improveCandidates(store: PromotionStore, role: string): Promise<Set<string>> {
  if (!store.listImprovementRounds) return new Set();
  const rounds = await store.listImprovementRounds({ role, limit: 100_000 });
  return new Set(rounds.flatMap((r) => (r.candidateVersion !== null ? [r.candidateVersion] : [])));
}

/**
 * The versions a candidate is judged against. With one active, that one. With none, whatever may be in
 * effect: the version the role's newest run ran and the newest stored version other than the candidate
 * (serve may have loaded a file edited since that run). A candidate is never its own baseline: judged
 * against itself, an old wide version would pass as "no change" after the file was narrowed.
 */
async function baselines(
  store: PromotionStore,
  role: string,
  active: PromotionRecord | undefined,
  candidate: string,
): Promise<RoleVersionRecord[]> {
  if (active) {
    const v = await store.getRoleVersion(role, active.version);
    return v ? [v] : [];
  }
  const out: RoleVersionRecord[] = [];
  const [last] = await store.listRuns({ role, limit: 1 });
  if (last && last.roleVersion !== candidate) {
    const v = await store.getRoleVersion(role, last.roleVersion);
    if (v) out.push(v);
  }
  // Nor is a candidate the improve loop stored: with nothing ever promoted, none of them took effect (a
  // rejected or pending proposal), so none is what ran, nor what a rollback may go back to.
  const proposed = await improveCandidates(store, role);
  const newest = (await store.listRoleVersions(role))
    .filter((v) => v.version !== candidate && !proposed.has(v.version))
    .at(-1);
  if (newest && !out.some((v) => v.version === newest.version)) out.push(newest);
  return out;
}

/** The caller's baseline first (it is what `fromVersion` records), then the active version if another. */
async function explicitBaselines(
  store: PromotionStore,
  role: string,
  active: PromotionRecord | undefined,
  baseline: string,
): Promise<RoleVersionRecord[]> {
  const out = [await findVersion(store, role, baseline)];
  if (active && active.version !== out[0]!.version) {
    const v = await store.getRoleVersion(role, active.version);
    if (v) out.push(v);
  }
  return out;
}

/** Every way the candidate widens any baseline; with no baseline to compare, that itself (a person decides). */
function wideningAgainst(bases: RoleVersionRecord[], candidate: RoleVersionRecord): string[] {
  if (bases.length === 0) return ['no earlier version to compare with: a person decides the first promotion'];
  return [...new Set(bases.flatMap((b) => authorityWidening(b.spec, candidate.spec)))];
}

async function request(
  ctx: PromotionContext,
  kind: PromotionKind,
  req: PromoteRequest,
  active: PromotionRecord | undefined,
  backTo: string | null,
): Promise<PromotionResult> {
  const by = checkActor(req.by);
  const candidate = await findVersion(ctx.store, req.role, req.version);
  if (active?.version === candidate.version) return { promotion: active, outcome: 'unchanged' };
  const bases = req.baseline
    ? await explicitBaselines(ctx.store, req.role, active, req.baseline)
    : await baselines(ctx.store, req.role, active, candidate.version);
  const base = bases[0];
  // Another promotion in effect is stale only when it put another version in effect than the one the
  // candidate was compared with (a promotion of that very version, or back to it, leaves the test valid).
  if (
    req.expectedActive !== undefined &&
    (active?.id ?? null) !== req.expectedActive &&
    !(active && req.baseline !== undefined && active.version === base?.version)
  )
    throw new NightshiftError(
      'PROMOTION_STALE',
      `the active version of ${req.role} changed (now ${active ? `${active.version}, promotion ${active.id}` : 'none: the role file runs'}) since ${candidate.version} was judged against ${req.baseline ?? 'the version then active'}; nothing was changed`,
      { details: { role: req.role, version: candidate.version } },
    );
  const widening = wideningAgainst(bases, candidate);
  const direct = widening.length === 0 && mayDecide(ctx.people, by, req.role);
  const now = ctx.clock.now();
  const p: PromotionRecord = {
    id: ctx.ids.next(ID_PREFIX.promotion),
    role: req.role,
    version: candidate.version,
    kind,
    status: direct ? 'done' : 'pending',
    baseId: active?.id ?? null,
    // With nothing active, what ran was the file: that version, so a rollback can go back to it.
    fromVersion: active?.version ?? base?.version ?? null,
    backTo,
    requestedBy: by,
    requestedAt: now,
    evidence: req.evidence ?? [],
    widening,
    decidedBy: direct ? by : null,
    decidedAt: direct ? now : null,
    note: req.note ?? null,
    seq: null,
  };
  await write(ctx, p, false, by);
  const stored = (await ctx.store.getPromotion(p.id)) ?? p;
  return { promotion: stored, outcome: direct ? 'promoted' : 'pending' };
}

async function write(ctx: PromotionContext, p: PromotionRecord, settle: boolean, actor: string) {
  const outcome = await ctx.store.applyPromotion(p, { settle }, [audit(p, actor, ctx.clock.now())]);
  if (outcome === 'not_pending')
    throw new NightshiftError(
      'PROMOTION_NOT_PENDING',
      `promotion ${p.id} was already decided; nothing was changed`,
    );
  if (outcome === 'stale')
    throw new NightshiftError(
      'PROMOTION_STALE',
      `the active version of ${p.role} changed since promotion ${p.id} was asked for (it was judged against ${p.fromVersion ?? 'the role file'}); refuse it and promote again`,
      { details: { promotion: p.id, role: p.role } },
    );
}

/**
 * Makes `version` the role's active version: at once when it does not widen authority and the caller may
 * decide for the role, else as a pending promotion a person allowed for the role grants.
 * @example await promote(ctx, { role: 'refund-desk', version: '65d213ff', by: 'alice', evidence: ['eval:ev_1'] })
 */
export async function promote(ctx: PromotionContext, req: PromoteRequest): Promise<PromotionResult> {
  const active = await ctx.store.activePromotion(req.role);
  return request(ctx, 'promote', req, active, active?.id ?? null);
}

/**
 * Goes back to the version that was active before the one in effect (again: one further back); past the
 * first promotion, to the version the role file ran before it, when a run (or the improve loop) shows it
 * was in effect. Judged as a promotion: going back to a wider version waits for a person too.
 */
export async function rollback(
  ctx: PromotionContext,
  req: Omit<PromoteRequest, 'version'>,
): Promise<PromotionResult> {
  const active = await ctx.store.activePromotion(req.role);
  const target = active?.backTo ? await ctx.store.getPromotion(active.backTo) : undefined;
  if (active && target)
    return request(ctx, 'rollback', { ...req, version: target.version }, active, target.backTo);
  // At the bottom of the stack (no row to go back to) stands the first promotion's version, whether that
  // promotion is active or a rollback returned to it: one further back is the version that ran before
  // it, from the file (its `from`). Once that one is active again, there is nothing further back.
  if (active && !active.backTo) {
    const first =
      active.kind === 'promote'
        ? active
        : (await ctx.store.listPromotions({ role: req.role, status: 'done' })).find(
            (p) => p.kind === 'promote' && p.backTo === null,
          );
    if (first?.fromVersion && first.fromVersion !== active.version) {
      if (await wasInEffect(ctx.store, first))
        return request(ctx, 'rollback', { ...req, version: first.fromVersion }, active, null);
      throw new NightshiftError(
        'NOTHING_TO_ROLL_BACK',
        `${req.role}@${active.version} is the earliest version in its promotion history, and ${first.fromVersion}, the version its first promotion was judged against, was never in effect (no run of ${req.role} ran it before that promotion): there is no earlier version to go back to`,
      );
    }
  }
  throw new NightshiftError(
    'NOTHING_TO_ROLL_BACK',
    active
      ? `${req.role}@${active.version} is the earliest version in its promotion history: there is no earlier version to go back to`
      : `${req.role} has no active version (nothing was promoted): the role file runs`,
  );
}

/**
 * Whether the version a first promotion went from was in effect before it: the role's newest run before
 * the promotion was asked for ran it (the file ran it), or the improve loop made the promotion from it (the
 * role file it improved). Only then may a rollback go back to it. With no such run, `from` is only the
 * newest other stored version it was judged against, which may never have run: registered from another
 * file, or a version whose own promotion was refused.
 */
async function wasInEffect(store: PromotionStore, first: PromotionRecord): Promise<boolean> {
  const [last] = await store.listRuns({ role: first.role, createdUntil: first.requestedAt, limit: 1 });
  if (last?.roleVersion === first.fromVersion) return true;
  if (!store.listImprovementRounds) return false;
  const rounds = await store.listImprovementRounds({ role: first.role, limit: 100_000 });
  return rounds.some((r) => r.promotionId === first.id && r.baseVersion === first.fromVersion);
}

async function pending(ctx: PromotionContext, id: string): Promise<PromotionRecord> {
  const p = await ctx.store.getPromotion(id);
  if (!p)
    throw new NightshiftError('PROMOTION_NOT_FOUND', `no promotion ${id} (see nightshift versions <role>)`);
  if (p.status !== 'pending')
    throw new NightshiftError('PROMOTION_NOT_PENDING', `promotion ${id} is ${p.status}; nothing was changed`);
  return p;
}

/** A person allowed for the role grants a pending promotion: it takes effect now. */
export async function grantPromotion(
  ctx: PromotionContext,
  id: string,
  o: { by: string; note?: string | undefined },
): Promise<PromotionRecord> {
  const by = checkActor(o.by);
  const p = await pending(ctx, id);
  checkMayDecide(ctx.people, by, p.role, 'promotions');
  const now = ctx.clock.now();
  const done: PromotionRecord = {
    ...p,
    status: 'done',
    decidedBy: by,
    decidedAt: now,
    note: o.note ?? p.note,
  };
  await write(ctx, done, true, by);
  return (await ctx.store.getPromotion(id)) ?? done;
}

/** A person allowed for the role refuses a pending promotion: it never takes effect. */
export async function refusePromotion(
  ctx: PromotionContext,
  id: string,
  o: { by: string; reason: string },
): Promise<PromotionRecord> {
  const by = checkActor(o.by);
  const p = await pending(ctx, id);
  checkMayDecide(ctx.people, by, p.role, 'promotions');
  const refused: PromotionRecord = {
    ...p,
    status: 'refused',
    decidedBy: by,
    decidedAt: ctx.clock.now(),
    note: o.reason,
  };
  await write(ctx, refused, true, by);
  return refused;
}
