// The draft path (decision 029): a change set drafted by a role whose `manager:` says `approveDrafts: true`
// goes to that manager agent first. Its run is started right after the approval's commit (one per approval,
// id derived from it), the hop logged in the drafting run, and the change set passed up to people (the
// outbox, tiers) when the manager escalates, ends without deciding or runs out of time. The same shape as
// the escalation path (path.ts), and like it every step is idempotent and re-derived from the store.
import type { EngineContext } from '../engine/context.js';
import type { PreparedRole } from '../engine/prepare.js';
import type { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import { enqueueHumanNotifications } from '../notifications/enqueue.js';
import { pendingApproval } from '../notifications/pending.js';
import type { Role } from '../roles/schema.js';
import type { KnownRoles } from '../runtime/roles.js';
import { type ApprovalRecord, type RunRecord, TERMINAL_STATUSES } from '../store/types.js';
import { draftManagerInput } from './context.js';
import { draftManagerPrepared } from './draft-tools.js';
import { closeRun, type HopSubject, loadState, logHopOnce, stoppedWithoutDeciding } from './hop-log.js';
import { approvalOfManagerRun, draftManagerFor, managerActor, managerRunId } from './manager-for.js';
import { createManagerRun } from './manager-run.js';
import { closeManagerRunOf } from './person-decided.js';

export interface DraftPath {
  /** A draft-deciding manager run's prepared role, with approval.approve and approval.reject. */
  prepareRun(base: PreparedRole, run: RunRecord, approvalId: string): Promise<PreparedRole>;
  /** Starts (idempotently) the manager run of each pending approval of `run`; returns those not ended. */
  startManagers(run: RunRecord): Promise<RunRecord[]>;
  /** After a draft-deciding manager run stopped: the change set goes to people if still pending. */
  afterManager(run: RunRecord, approvalId: string): Promise<string | undefined>;
  /** A worker's sweep over pending approvals (crash repair, timeouts). Returns the manager runs queued. */
  sweep(onError?: (err: unknown) => void): Promise<RunRecord[]>;
  /** A person decided `approval` first: its manager run, if still going, is closed. */
  closeManagerRun(approval: ApprovalRecord): Promise<void>;
}

export function createDraftPath(
  ctx: EngineContext,
  roles: KnownRoles,
  loadManager: (file: string) => Promise<Role>,
): DraftPath {
  const { store, clock } = ctx;

  /** The drafting run's role and the manager that approves its drafts (undefined: drafts go to people). */
  async function managerOf(approval: ApprovalRecord) {
    const { role, run } = await roles.ofRun(approval.runId);
    const settings = draftManagerFor(role, run);
    return settings ? { role, run, settings } : undefined;
  }

  const subject = (approval: ApprovalRecord, to: 'manager' | 'humans'): HopSubject => ({
    runId: approval.runId,
    pending: (s: RunState) => s.approvals.get(approval.id)?.status === 'pending',
    logged: (s: RunState) => hopLogged(s, approval.id, to),
  });

  async function passUp(approval: ApprovalRecord, by: string, why: string): Promise<void> {
    // The drafting role's people are told in the commit that logs the hop (the outbox).
    const role = (await roles.ofRun(approval.runId).catch(() => undefined))?.role;
    await logHopOnce(store, clock, subject(approval, 'humans'), (b) => {
      b.step('approval_hop', { approvalId: approval.id, to: 'humans', by, why });
      enqueueHumanNotifications(b, pendingApproval(approval), 0, {
        escalate: role?.escalate,
        people: ctx.people,
      });
    });
    await closeRun(store, clock, managerRunId(approval.id), `the change set went to people: ${why}`);
  }

  async function ensureManagerRun(approval: ApprovalRecord): Promise<RunRecord | undefined> {
    if (approval.status !== 'pending') return undefined;
    const of = await managerOf(approval);
    if (!of) return undefined;
    const id = managerRunId(approval.id);
    let run = await store.getRun(id);
    if (!run) {
      const drafted = await loadState(store, approval.runId);
      // Already with people (its manager could not be loaded earlier): it stays with them.
      if (hopLogged(drafted, approval.id, 'humans')) return undefined;
      const created = await createManagerRun(
        ctx,
        roles,
        loadManager,
        {
          subjectId: approval.id,
          file: of.settings.file,
          what: 'drafts',
          input: () => draftManagerInput(approval, drafted),
          trigger: { kind: 'approval', approvalId: approval.id, runId: approval.runId },
        },
        (why) => passUp(approval, 'policy', why),
      );
      if (!created) return undefined;
      run = created;
    }
    const manager = run;
    await logHopOnce(store, clock, subject(approval, 'manager'), (b) =>
      b.step('approval_hop', {
        approvalId: approval.id,
        to: 'manager',
        by: 'policy',
        why: `role ${of.role.name} lets its manager ${manager.role} approve its drafts (approveDrafts)`,
        manager: manager.role,
        managerRunId: manager.id,
      }),
    );
    return run;
  }

  async function afterManager(run: RunRecord, approvalId: string): Promise<string | undefined> {
    const approval = await store.getApproval(approvalId);
    if (!approval) return undefined;
    if (approval.status !== 'pending' || run.status === 'running' || run.status === 'queued')
      return approval.runId;
    const actor = managerActor(run.role, run.id);
    const own = (await store.loadRun(run.id))?.escalations.find((e) => e.status === 'pending');
    const why = stoppedWithoutDeciding(run, actor, own?.reason);
    await passUp(approval, run.status === 'escalated' ? actor : 'policy', why);
    return approval.runId;
  }

  return {
    async prepareRun(base, run, approvalId) {
      const approval = await store.getApproval(approvalId);
      const of = approval ? await managerOf(approval) : undefined;
      // Only the manager the drafting role names, with approveDrafts, gets the tools, whatever the run says.
      const manager = of ? await loadManager(of.settings.file) : undefined;
      if (!approval || !of || manager?.name !== run.role) {
        throw new NightshiftError(
          'RUN_NOT_RESUMABLE',
          `run ${run.id} claims to decide approval ${approvalId}, but role ${run.role} is not a manager that approves its role's drafts`,
        );
      }
      const shown = (run.input as { changeSet?: { hash?: unknown } } | null)?.changeSet?.hash;
      return draftManagerPrepared(base, {
        store,
        clock,
        approvalId,
        actor: managerActor(run.role, run.id),
        shownHash: typeof shown === 'string' ? shown : undefined,
      });
    },
    async startManagers(run) {
      if (run.status !== 'awaiting_approval' && run.status !== 'escalated') return [];
      if (approvalOfManagerRun(run) !== undefined) return [];
      const out: RunRecord[] = [];
      for (const a of await store.listApprovals({ status: 'pending', runId: run.id })) {
        const m = await ensureManagerRun(a);
        if (m && !TERMINAL_STATUSES.includes(m.status)) out.push(m);
      }
      return out;
    },
    afterManager,
    async sweep(onError) {
      const queued: RunRecord[] = [];
      for (const a of await store.listApprovals({ status: 'pending' })) {
        try {
          const of = await managerOf(a).catch(() => undefined);
          if (!of) continue;
          const mgr = await ensureManagerRun(a);
          if (!mgr) continue;
          const stopped = ['escalated', 'awaiting_approval', ...TERMINAL_STATUSES].includes(mgr.status);
          if (stopped) await afterManager(mgr, a.id);
          else if (clock.now() - mgr.createdAt > of.settings.timeoutMs) {
            const actor = managerActor(mgr.role, mgr.id);
            await passUp(a, 'policy', `${actor} did not decide within ${of.settings.timeoutMs / 1000} s`);
          } else if (mgr.status === 'queued') queued.push(mgr);
        } catch (err) {
          // One approval that cannot be handled now does not stop the others; the next sweep tries again.
          onError?.(err);
        }
      }
      return queued;
    },
    closeManagerRun: (approval) => closeManagerRunOf(store, clock, { kind: 'approval', record: approval }),
  };
}

function hopLogged(state: RunState, approvalId: string, to: 'manager' | 'humans'): boolean {
  return state.steps.some(
    (s) => s.kind === 'approval_hop' && s.data.approvalId === approvalId && s.data.to === to,
  );
}
