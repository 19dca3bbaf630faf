// A role's managers, loaded: its manager, that manager's manager, and so on. `validate` checks the whole
// path this way, so a broken manager file, or a path that comes back to a role on it, fails before a run
// ever escalates.
import { readYamlText, YamlSource } from '../config/yaml-file.js';
import { type Issue, RoleInvalidError } from '../errors.js';
import type { Role } from '../roles/schema.js';

/** Loads a role file (the CLI's loader, with the project's tool modules). */
export type LoadRole = (file: string) => Promise<Role>;

/**
 * The managers above `role`, nearest first. Throws RoleInvalidError at `manager` when a manager's file is
 * invalid (with that file's own problems after it, each carrying its file) or when the path comes back to a
 * role already on it (a cycle: nobody would ever reach people).
 */
export async function loadManagerChain(
  role: Role,
  loadRole: LoadRole,
  /** How a file is named in the problems (validate names them as the user named the role's file). */
  shown: (file: string) => string = (file) => file,
): Promise<Role[]> {
  const chain: Role[] = [];
  const seen = [role.source.file ?? `(defineRole ${role.name})`];
  let current = role;
  while (current.manager) {
    const resolved = current.manager.file;
    const file = shown(resolved);
    if (seen.includes(resolved)) {
      const path = [...seen, resolved].map(shown).join(' → ');
      throw new RoleInvalidError([managerIssue(role, `the manager path is a cycle: ${path}`)]);
    }
    let manager: Role;
    try {
      manager = await loadRole(resolved);
    } catch (err) {
      if (!RoleInvalidError.isInstance(err))
        throw new RoleInvalidError([
          managerIssue(role, `manager role ${file} is invalid: ${(err as Error).message}`),
        ]);
      // Said at this role's `manager:` line, and each problem again at its own line of the manager's
      // file (or of a file that one names), where it is mended: "fix line 7 of this file" would be wrong.
      const count = `${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}`;
      throw new RoleInvalidError([
        managerIssue(role, `manager role ${file} is invalid (${count}, each at its line in that file)`),
        ...err.issues.map((i) => ({ ...i, file: shown(i.file ?? resolved) })),
      ]);
    }
    const unfit = unfitAsManager(manager);
    if (unfit) throw new RoleInvalidError([managerIssue(role, `manager role ${file}: ${unfit}`)]);
    seen.push(resolved);
    chain.push(manager);
    current = manager;
  }
  return chain;
}

/**
 * A problem of the manager path, at the line of the role's own `manager:` key (the path is checked after
 * the role file loaded, from its managers' files, so the line is looked up here). A role from defineRole,
 * or a file that cannot be read again, gets the key path alone.
 */
function managerIssue(role: Role, message: string): Issue {
  const file = role.source.file;
  if (file !== undefined) {
    try {
      const { line } = new YamlSource(readYamlText(file, file, 'role'), file).issue(['manager'], message);
      if (line !== undefined) return { line, path: 'manager', message };
    } catch {
      // The key path alone, as before.
    }
  }
  return { path: 'manager', message };
}

/** Every manager on the paths of `roles`, once each (by name), for a worker that serves them. */
export async function managersOf(roles: readonly Role[], loadRole: LoadRole): Promise<Role[]> {
  const out = new Map<string, Role>();
  for (const role of roles)
    for (const manager of await loadManagerChain(role, loadRole))
      if (!out.has(manager.name)) out.set(manager.name, manager);
  return [...out.values()];
}

/**
 * Why a role cannot be a manager agent, if it cannot: its runs are job runs the engine drives turn by
 * turn, since the decision tools are offered to a model by the engine (an executor's session, or a
 * continuous agent's inbox, would never see them).
 */
export function unfitAsManager(role: Role): string | undefined {
  if (role.mode === 'continuous') return 'a manager must be a job role (mode: job), not a continuous one';
  const provider = role.model.slice(0, role.model.indexOf(':'));
  if (provider === 'claude-code' || provider === 'codex')
    return `a manager's model must be one the engine drives turn by turn, not an executor (${provider}:)`;
  return undefined;
}
