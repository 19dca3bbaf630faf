// Creating the one manager run of a paused matter (an escalation, or a change set whose role lets its
// manager approve drafts), shared by the escalation path and the draft path. A manager that cannot decide
// (its file broken or gone, or unfit) sends the matter to people instead.
import type { EngineContext } from '../engine/context.js';
import { recordRun } from '../engine/start.js';
import type { Role } from '../roles/schema.js';
import type { KnownRoles } from '../runtime/roles.js';
import type { RunRecord } from '../store/types.js';
import { unfitAsManager } from './chain.js';
import { managerRunId, managerRunKey } from './manager-for.js';

export interface ManagerRunOf {
  /** The escalation's or the approval's id: the run's id and idempotency key derive from it. */
  subjectId: string;
  /** The manager's role file. */
  file: string;
  /** What the manager decides, in words: `escalations` or `drafts`. */
  what: string;
  input: () => Record<string, unknown>;
  trigger: Record<string, unknown>;
}

/**
 * Creates the manager run (or finds the one another process created at the same moment: same id).
 * Undefined when the manager cannot decide: `passUp(why)` has then sent the matter to people.
 */
export async function createManagerRun(
  ctx: EngineContext,
  roles: KnownRoles,
  loadManager: (file: string) => Promise<Role>,
  m: ManagerRunOf,
  passUp: (why: string) => Promise<void>,
): Promise<RunRecord | undefined> {
  let manager: Role;
  try {
    manager = await loadManager(m.file);
  } catch (err) {
    await passUp(`manager ${m.file} could not be loaded: ${(err as Error).message}`);
    return undefined;
  }
  const unfit = unfitAsManager(manager);
  if (unfit) {
    await passUp(`${manager.name} cannot decide ${m.what}: ${unfit}`);
    return undefined;
  }
  roles.remember(manager);
  const id = managerRunId(m.subjectId);
  try {
    const { state } = await recordRun(ctx, manager, manager.model, m.input(), {
      runId: id,
      idempotencyKey: managerRunKey(m.subjectId),
      queue: true,
      inputChecked: true,
      actor: 'policy',
      trigger: m.trigger,
      redact: roles.readableSecrets(manager),
    });
    return state.run;
  } catch (err) {
    // Another process created it at the same moment (same id): theirs is the one.
    const run = await ctx.store.getRun(id);
    if (!run) throw err;
    return run;
  }
}
