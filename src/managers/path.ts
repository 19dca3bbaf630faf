// The escalation path's manager hop (docs/escalation.md): a manager run started for every escalation of a
// role with a manager, the hop logged in the escalated run, the matter passed up to people when the
// manager escalates, ends without deciding or runs out of time, and manager runs driven where there is no
// daemon. Every step is idempotent and re-derivable from the store, so a process killed anywhere leaves
// nothing lost: the next look (the CLI's settle, a worker's sweep) does what is missing, and nothing twice.
import type { EngineContext } from '../engine/context.js';
import type { PreparedRole } from '../engine/prepare.js';
import type { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import { passToHumans } from '../escalations/pass-to-humans.js';
import type { Role } from '../roles/schema.js';
import type { KnownRoles } from '../runtime/roles.js';
import {
  type ApprovalRecord,
  type EscalationRecord,
  type RunRecord,
  TERMINAL_STATUSES,
} from '../store/types.js';
import { managerInput } from './context.js';
import { managerPrepared } from './decision-tools.js';
import { createDraftPath } from './draft-path.js';
import { closeRun, drivable, loadState, logHopOnce, stoppedWithoutDeciding } from './hop-log.js';
import { inheritedManager } from './inherit.js';
import {
  approvalOfManagerRun,
  escalationOfManagerRun,
  isManagerRunKey,
  managerActor,
  managerFor,
  managerRunId,
} from './manager-for.js';
import { createManagerRun } from './manager-run.js';
import { closeManagerRunOf } from './person-decided.js';

/** Manager hops one settle follows before it stops (each is a new escalation decided by a manager). */
const MAX_SETTLE_HOPS = 50;
/** Delegation levels below a run that settle looks through for its children's escalations. */
const MAX_CHILD_DEPTH = 8;
/** A child run a settle may have something to do for: paused, or ready to be driven. */
const WAITING_OR_READY: RunRecord['status'][] = ['escalated', 'awaiting_approval', 'queued', 'running'];

export interface ManagerPath {
  /** The prepared role a run is driven with: a manager run's gets the decision tools. */
  prepareRun(base: PreparedRole, run: RunRecord): Promise<PreparedRole>;
  /** Starts (idempotently) the manager run of each pending escalation of `run`; returns those to drive. */
  startManagers(run: RunRecord): Promise<RunRecord[]>;
  /**
   * After a manager run stopped (finished, paused, failed): if its escalation is still pending, the
   * matter goes up to people and the manager run is closed. Returns the escalated run's id.
   */
  afterManager(run: RunRecord): Promise<string | undefined>;
  /**
   * Drives, in this process, what `runId`'s escalations set going: manager runs, then the run again once
   * a manager decided, until it finishes or waits for people. `drive` resumes one run (no settle).
   */
  settle(runId: string, drive: (runId: string) => Promise<void>): Promise<void>;
  /**
   * A worker's sweep over pending escalations: a manager run missing after a crash is started, one that
   * stopped without deciding or ran out of time (`manager.timeout`) hands the matter to people.
   * Returns the manager runs now queued; an escalation that fails is reported and left for the next sweep.
   */
  sweep(onError?: (err: unknown) => void): Promise<RunRecord[]>;
  /** A person decided `escalation` first: its manager run, if still going, is closed. */
  closeManagerRun(escalation: EscalationRecord): Promise<void>;
  /** A person decided `approval` first: its manager run (the draft path's), if still going, is closed. */
  closeDraftManagerRun(approval: ApprovalRecord): Promise<void>;
}

export function createManagerPath(
  ctx: EngineContext,
  roles: KnownRoles,
  loadRole: (file: string) => Promise<Role>,
): ManagerPath {
  const { store, clock } = ctx;
  const loaded = new Map<string, Promise<Role>>();
  const loadManager = (file: string) => {
    let p = loaded.get(file);
    if (!p) {
      p = loadRole(file);
      p.catch(() => loaded.delete(file));
      loaded.set(file, p);
    }
    return p;
  };
  const drafts = createDraftPath(ctx, roles, loadManager);

  /** The escalated run's role and its manager (undefined when it has none, or is itself a manager run). */
  async function managerOf(escalation: EscalationRecord) {
    const { role, run } = await roles.ofRun(escalation.runId);
    if (isManagerRunKey(run.idempotencyKey)) return undefined;
    // The same resolution as the driver that routed it (drive.ts): its own, else its orchestrator's.
    const inherited = await inheritedManager(store, role, run);
    const settings = managerFor(role, inherited);
    return settings ? { role, run, settings, inheritedFrom: inherited?.from } : undefined;
  }

  async function ensureManagerRun(escalation: EscalationRecord): Promise<RunRecord | undefined> {
    if (escalation.status !== 'pending') return undefined;
    const of = await managerOf(escalation);
    if (!of) return undefined;
    const id = managerRunId(escalation.id);
    let run = await store.getRun(id);
    if (!run) {
      const escalated = await loadState(store, escalation.runId);
      // Already with people (its manager could not be loaded earlier): it stays with them.
      if (hopLogged(escalated, escalation.id, 'humans')) return undefined;
      const created = await createManagerRun(
        ctx,
        roles,
        loadManager,
        {
          subjectId: escalation.id,
          file: of.settings.file,
          what: 'escalations',
          input: () => managerInput(escalation, escalated),
          trigger: { kind: 'escalation', escalationId: escalation.id, runId: escalation.runId },
        },
        (why) => passUp(escalation, 'policy', why),
      );
      if (!created) return undefined;
      run = created;
    }
    await logHop(escalation, (b) =>
      b.step('escalation_hop', {
        escalationId: escalation.id,
        to: 'manager',
        by: 'policy',
        why: of.inheritedFrom
          ? `role ${of.role.name} names no manager; its orchestrator ${of.inheritedFrom} names ${run.role}`
          : `role ${of.role.name} names ${run.role} as its manager`,
        manager: run.role,
        managerRunId: run.id,
      }),
    );
    return run;
  }

  /** Writes a hop into the escalated run's log once (hop-log.ts). */
  async function logHop(
    escalation: EscalationRecord,
    write: (b: ReturnType<RunState['batch']>) => void,
    to: 'manager' | 'humans' = 'manager',
  ): Promise<void> {
    const subject = {
      runId: escalation.runId,
      pending: (state: RunState) => state.escalations.get(escalation.id)?.status === 'pending',
      logged: (state: RunState) => hopLogged(state, escalation.id, to),
    };
    await logHopOnce(store, clock, subject, write);
  }

  async function passUp(escalation: EscalationRecord, by: string, why: string): Promise<void> {
    // The escalated role's people are told in the commit that logs the hop (the outbox).
    const role = (await roles.ofRun(escalation.runId).catch(() => undefined))?.role;
    const path = { escalate: role?.escalate, people: ctx.people };
    await logHop(escalation, (b) => passToHumans(b, escalation, why, by, path), 'humans');
    await closeRun(store, clock, managerRunId(escalation.id), `the matter went to people: ${why}`);
  }

  async function afterManager(run: RunRecord): Promise<string | undefined> {
    const approvalId = approvalOfManagerRun(run);
    if (approvalId) return drafts.afterManager(run, approvalId);
    const escalationId = escalationOfManagerRun(run);
    if (!escalationId) return undefined;
    const escalation = await store.getEscalation(escalationId);
    if (!escalation) return undefined;
    if (escalation.status !== 'pending' || run.status === 'running' || run.status === 'queued')
      return escalation.runId;
    const actor = managerActor(run.role, run.id);
    const own = (await store.loadRun(run.id))?.escalations.find((e) => e.status === 'pending');
    const why = stoppedWithoutDeciding(run, actor, own?.reason);
    await passUp(escalation, run.status === 'escalated' ? actor : 'policy', why);
    return escalation.runId;
  }

  async function startManagers(run: RunRecord): Promise<RunRecord[]> {
    // A change set of a role whose manager approves drafts: its manager run (draft-path.ts).
    const out: RunRecord[] = await drafts.startManagers(run);
    if (run.status !== 'escalated' || isManagerRunKey(run.idempotencyKey)) return out;
    for (const e of await store.listEscalations({ status: 'pending', runId: run.id })) {
      const m = await ensureManagerRun(e);
      if (m && !TERMINAL_STATUSES.includes(m.status)) out.push(m);
    }
    return out;
  }

  /** The children (and theirs, down the chain) `run` waits on: none unless it is paused for them. */
  async function waitingChildren(run: RunRecord): Promise<RunRecord[]> {
    if (run.status !== 'escalated' && run.status !== 'awaiting_approval') return [];
    const out: RunRecord[] = [];
    let level = [run];
    for (let depth = 0; level.length > 0 && depth < MAX_CHILD_DEPTH; depth++) {
      const next: RunRecord[] = [];
      for (const parent of level) {
        const children = await store.listRuns({ parentRunId: parent.id, status: WAITING_OR_READY });
        next.push(...children);
      }
      out.push(...next);
      level = next.filter((c) => c.status === 'escalated' || c.status === 'awaiting_approval');
    }
    return out;
  }

  return {
    async prepareRun(base, run) {
      const approvalId = approvalOfManagerRun(run);
      if (approvalId) return drafts.prepareRun(base, run, approvalId);
      const escalationId = escalationOfManagerRun(run);
      if (!escalationId) return base;
      const escalation = await store.getEscalation(escalationId);
      const of = escalation ? await managerOf(escalation) : undefined;
      // Only the configured manager of the escalated role gets the decision tools, whatever the run says.
      const manager = of ? await loadManager(of.settings.file) : undefined;
      if (!escalation || !of || manager?.name !== run.role) {
        throw new NightshiftError(
          'RUN_NOT_RESUMABLE',
          `run ${run.id} claims to decide escalation ${escalationId}, but role ${run.role} is not the manager of its role`,
        );
      }
      return managerPrepared(base, {
        store,
        clock,
        escalationId,
        actor: managerActor(run.role, run.id),
        budget: of.role.budget,
      });
    },
    startManagers,
    afterManager,
    async settle(runId, drive) {
      let current = runId;
      for (let hop = 0; hop < MAX_SETTLE_HOPS; hop++) {
        const run = await store.getRun(current);
        if (!run) return;
        if (isManagerRunKey(run.idempotencyKey)) {
          // A manager run resumed by hand: finish its hop, then go on with the run it decided for.
          if (drivable(run, clock)) {
            await drive(run.id);
            continue;
          }
          const next = await afterManager(run);
          if (!next) return;
          current = next;
          continue;
        }
        if (drivable(run, clock)) {
          await drive(run.id);
          continue;
        }
        // A child that ended (driven here after its manager decided) woke its parent: go on with that.
        if (TERMINAL_STATUSES.includes(run.status) && run.parentRunId && current !== runId) {
          current = run.parentRunId;
          continue;
        }
        // An orchestrator waiting on its children: what their escalations set going is settled first.
        const below = await waitingChildren(run);
        const readyChild = below.find((c) => drivable(c, clock));
        if (readyChild) {
          current = readyChild.id;
          continue;
        }
        const managers = (await Promise.all([run, ...below].map(startManagers))).flat();
        const ready = managers.find((m) => drivable(m, clock));
        if (!ready) return;
        await drive(ready.id);
        const after = await store.getRun(ready.id);
        if (after) await afterManager(after);
      }
    },
    async sweep(onError) {
      const queued: RunRecord[] = await drafts.sweep(onError);
      for (const e of await store.listEscalations({ status: 'pending' })) {
        try {
          const of = await managerOf(e).catch(() => undefined);
          if (!of) continue;
          // Started if a crash lost it, its hop logged if that was lost: both no-ops otherwise.
          const mgr = await ensureManagerRun(e);
          if (!mgr) continue;
          if (
            TERMINAL_STATUSES.includes(mgr.status) ||
            mgr.status === 'escalated' ||
            mgr.status === 'awaiting_approval'
          ) {
            await afterManager(mgr);
          } else if (clock.now() - mgr.createdAt > of.settings.timeoutMs) {
            const actor = managerActor(mgr.role, mgr.id);
            await passUp(e, 'policy', `${actor} did not decide within ${of.settings.timeoutMs / 1000} s`);
          } else if (mgr.status === 'queued') queued.push(mgr);
        } catch (err) {
          // One escalation that cannot be handled now does not stop the others; the next sweep tries again.
          onError?.(err);
        }
      }
      return queued;
    },
    closeDraftManagerRun: (approval) => drafts.closeManagerRun(approval),
    closeManagerRun: (escalation) =>
      closeManagerRunOf(store, clock, { kind: 'escalation', record: escalation }),
  };
}

function hopLogged(state: RunState, escalationId: string, to: 'manager' | 'humans'): boolean {
  return state.steps.some(
    (s) => s.kind === 'escalation_hop' && s.data.escalationId === escalationId && s.data.to === to,
  );
}
