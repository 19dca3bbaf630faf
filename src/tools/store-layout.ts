// A role's workspace must not hold the embedded store: the fs tools and sandboxed commands may read and
// write anything in the workspace, and the store holds every run, approval and answer, so a model could
// read other runs or approve its own drafts by editing the database. Such a layout is refused before a
// run starts, rather than hiding the folder from some tools and not others.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { NightshiftError } from '../errors.js';
import type { RoleSettings } from '../roles/settings.js';

/**
 * Where `path` is, symlinks resolved; for a path that does not exist yet (a data dir the store will
 * create), where it would be: its nearest existing parent resolved, the rest appended.
 */
function planned(path: string): string {
  const abs = resolve(path);
  const rest: string[] = [];
  for (let at = abs; ; at = dirname(at)) {
    try {
      return join(realpathSync(at), ...rest.reverse());
    } catch {
      if (dirname(at) === at) return abs;
      rest.push(basename(at));
    }
  }
}

function real(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Throws ROLE_INVALID when `dataDir` (the embedded store's folder) is the role's workspace or lies
 * inside it, symlinks resolved (a data dir that does not exist yet: where it would be). A workspace that
 * does not exist yet holds nothing.
 */
export function assertStoreOutsideWorkspace(role: RoleSettings, dataDir: string): void {
  if (!role.workspace) return;
  const workspace = real(role.workspace);
  // The data dir counts even before it exists: the store is about to create it.
  const store = planned(dataDir);
  if (workspace === undefined) return;
  const rel = relative(workspace, store);
  if (rel === '..' || rel.startsWith('../') || isAbsolute(rel)) return;
  throw new NightshiftError(
    'ROLE_INVALID',
    `role ${role.name}: its workspace ${workspace} contains the data dir ${store}, where runs and approvals are stored; its fs tools and commands could read or change them. Use a data dir outside the workspace (--data-dir or NIGHTSHIFT_DATA_DIR) or another workspace.`,
    { details: { role: role.name, workspace, dataDir: store } },
  );
}
