// Which definition of a role a new run gets: the role's active version when one was promoted (stored in
// full, so it runs whatever the file says now), else the role as given (its file: today's behaviour for
// projects that never promote). Read at every run start, so a promotion reaches a running `serve` at its
// next run; a run in flight keeps the version it recorded.
import { roleFromRecord } from '../engine/start.js';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { Store } from '../store/types.js';
import type { VersionSource } from './config.js';

export async function activeRoleFor(
  store: Pick<Store, 'activePromotion' | 'getRoleVersion'>,
  role: Role,
  source: VersionSource,
): Promise<Role> {
  if (source === 'file') return role;
  const active = await store.activePromotion(role.name);
  if (!active || active.version === role.version) return role;
  const stored = await store.getRoleVersion(role.name, active.version);
  if (!stored)
    throw new NightshiftError(
      'VERSION_NOT_FOUND',
      `the active version ${role.name}@${active.version} is not in the store; promote a stored version (nightshift versions ${role.name})`,
    );
  // Tools passed to defineRole live only in the process that defined them: the stored version cannot
  // bring them back, and running it without them would be a different role.
  if (role.inlineTools.length > 0)
    throw new NightshiftError(
      'ROLE_INVALID',
      `role ${role.name} was given as version ${role.version} with inline tools, but its active version is ${active.version}: run the active version's definition, promote ${role.version}, or set versions.source: file`,
    );
  return roleFromRecord(stored);
}
