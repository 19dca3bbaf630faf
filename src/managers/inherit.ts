// A specialist with no `manager:` uses its orchestrator's (docs/escalation.md): the nearest ancestor run
// whose role names one. Resolved from the store (each ancestor's run and its stored role version), so the
// driver that routes a new escalation and the manager path that later starts the manager run, in this
// process or any other, find the same manager.

import { MAX_ANCESTORS } from '../delegation/ancestors.js';
import type { ManagerSettings, RoleSettings } from '../roles/settings.js';
import type { RunRecord, Store } from '../store/types.js';

/** Ancestors followed at most (delegation/ancestors.ts follows as many). */
const MAX_DEPTH = MAX_ANCESTORS;

/** The manager a run inherits, and the orchestrator role that names it. */
export interface InheritedManager {
  settings: ManagerSettings;
  /** The ancestor's role that names the manager. */
  from: string;
}

/**
 * The manager `run` inherits: undefined when its role names its own (that one is used) or no ancestor's
 * role names one. An ancestor whose run is gone ends the walk (nothing to inherit); one whose role version
 * is gone is read as naming no manager, and the walk goes on to its parent, as inheritedManagerOf does.
 */
export async function inheritedManager(
  store: Pick<Store, 'getRun' | 'getRoleVersion'>,
  role: Pick<RoleSettings, 'manager'>,
  run: Pick<RunRecord, 'parentRunId'>,
): Promise<InheritedManager | undefined> {
  if (role.manager) return undefined;
  let parentId = run.parentRunId ?? null;
  for (let depth = 0; parentId && depth < MAX_DEPTH; depth++) {
    const parent = await store.getRun(parentId);
    if (!parent) return undefined;
    const version = await store.getRoleVersion(parent.role, parent.roleVersion);
    const settings = (version?.spec as Partial<RoleSettings> | undefined)?.manager;
    if (settings) return { settings, from: parent.role };
    parentId = parent.parentRunId ?? null;
  }
  return undefined;
}

/**
 * inheritedManager from the run's ancestors read already (delegation/ancestors.ts, parent first), for a
 * driver that reads them for the chain's demotion too: the chain is walked once.
 */
export async function inheritedManagerOf(
  store: Pick<Store, 'getRoleVersion'>,
  role: Pick<RoleSettings, 'manager'>,
  ancestors: readonly RunRecord[],
): Promise<InheritedManager | undefined> {
  if (role.manager) return undefined;
  for (const parent of ancestors) {
    const version = await store.getRoleVersion(parent.role, parent.roleVersion);
    const settings = (version?.spec as Partial<RoleSettings> | undefined)?.manager;
    if (settings) return { settings, from: parent.role };
  }
  return undefined;
}
