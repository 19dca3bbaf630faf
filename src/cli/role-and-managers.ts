// A role file as the commands that record something take it (run, eval, improve, versions, promote): the
// role and its manager path, each manager's file and no cycle, as validate, serve and mcp check them. A
// role whose escalations could never reach people was run, registered and promoted.
import { isAbsolute, relative } from 'node:path';
import { RoleInvalidError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { CliContext } from './context.js';

/** Loads `file` (RoleInvalidError at its `manager:` line for a broken or circular manager path). */
export async function loadRoleAndManagers(cli: Pick<CliContext, 'loadRole'>, file: string): Promise<Role> {
  const role = await cli.loadRole(file);
  if (!role.manager) return role;
  const { loadManagerChain } = await import('../managers/chain.js');
  // Its files named as the role's own problems name it: relative to here when it was given so.
  try {
    await loadManagerChain(role, cli.loadRole, (f) =>
      isAbsolute(file) || !isAbsolute(f) ? f : relative(process.cwd(), f),
    );
  } catch (err) {
    if (!RoleInvalidError.isInstance(err)) throw err;
    // The problems at this role's `manager:` line carry no file (validate adds it): this one's.
    throw new RoleInvalidError(
      err.issues.map((i) => ({ ...i, file: i.file ?? file })),
      file,
    );
  }
  return role;
}
