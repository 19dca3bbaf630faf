// A role file as the commands that record something take it (run, eval, improve, versions, promote): the
// role, and no cycle on its manager path. validate, serve and mcp refused a path that comes back to a role
// already on it (nobody would ever reach people), while these recorded runs and versions of it and made
// the store. Only the `manager:` keys are followed here, not the managers loaded: loading a manager runs
// its tool modules, which a run that never escalates should not pay for at its start (and a broken
// manager file is already refused by the role's own load, which checks that the file is there).
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { Role } from '../roles/schema.js';
import type { CliContext } from './context.js';

type YamlFile = typeof import('../config/yaml-file.js');

/** The file a role file's `manager:` names (absolute), when it can be read and names one. */
function managerFileOf({ readYamlText, YamlSource }: YamlFile, file: string): string | undefined {
  try {
    const data = new YamlSource(readYamlText(file, file, 'role'), file).data() as {
      manager?: unknown;
    } | null;
    const m = data?.manager;
    const named = typeof m === 'string' ? m : (m as { role?: unknown } | undefined)?.role;
    return typeof named === 'string' ? resolve(dirname(file), named) : undefined;
  } catch {
    // Unreadable or not YAML: the manager's own load says why, when an escalation first reaches it.
    return undefined;
  }
}

/** Loads `file`; RoleInvalidError at its `manager:` line when the manager path comes back on itself. */
export async function loadRoleAndManagers(cli: Pick<CliContext, 'loadRole'>, file: string): Promise<Role> {
  const role = await cli.loadRole(file);
  if (!role.manager || role.source.file === undefined) return role;
  // Imported here: the command modules that import this file are all loaded at every CLI start
  // (test/cli/start-up-imports.test.ts), and the YAML reader is not needed for --version.
  const yaml = await import('../config/yaml-file.js');
  const { readYamlText, YamlSource } = yaml;
  const { RoleInvalidError } = await import('../errors.js');
  // Named as the role's own problems name it: relative to here when it was given so.
  const shown = (f: string) => (isAbsolute(file) || !isAbsolute(f) ? f : relative(process.cwd(), f));
  const seen = [role.source.file];
  let next: string | undefined = role.manager.file;
  while (next !== undefined) {
    if (seen.includes(next)) {
      const path = [...seen, next].map(shown).join(' → ');
      const message = `the manager path is a cycle: ${path}`;
      const { line } = new YamlSource(readYamlText(role.source.file, file, 'role'), file).issue(
        ['manager'],
        message,
      );
      throw new RoleInvalidError([{ file, ...(line ? { line } : {}), path: 'manager', message }], file);
    }
    seen.push(next);
    next = managerFileOf(yaml, next);
  }
  return role;
}
