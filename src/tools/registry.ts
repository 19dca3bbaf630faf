// The tools a role may use: built-ins, tools from its modules and inline tools, restricted to the names
// the role lists. Resolution fails before a run starts if a listed tool does not exist.
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import { builtinTools } from './builtin/index.js';
import { loadToolModules } from './modules.js';
import type { AnyTool } from './types.js';

/** Every tool a role could name: built-ins, then module tools, then inline tools (later ones win). */
export async function availableTools(
  role: Pick<Role, 'toolModules' | 'inlineTools'>,
): Promise<Map<string, AnyTool>> {
  const all = new Map<string, AnyTool>();
  for (const t of builtinTools) all.set(t.name, t);
  for (const t of await loadToolModules(role.toolModules)) all.set(t.name, t);
  for (const t of role.inlineTools) all.set(t.name, t);
  return all;
}

export async function resolveRoleTools(
  role: Role,
  extra: readonly AnyTool[] = [],
): Promise<Map<string, AnyTool>> {
  const all = await availableTools(role);
  for (const t of extra) {
    // Checked when the role is loaded too (roles/mcp-names.ts); here for a role whose modules changed
    // since, or one defined in code: an MCP tool never silently replaces a built-in or module tool.
    if (all.has(t.name))
      throw new NightshiftError(
        'ROLE_INVALID',
        `role ${role.name}: the MCP tool ${t.name} has the name of a built-in or tool module tool; an MCP tool may not replace it (give the server another name)`,
      );
    all.set(t.name, t);
  }
  const out = new Map<string, AnyTool>();
  for (const name of role.tools) {
    const tool = all.get(name);
    if (!tool) {
      throw new NightshiftError(
        'TOOL_NOT_FOUND',
        `role ${role.name} lists tool '${name}', which no built-in or tool module provides (available: ${[...all.keys()].join(', ')})`,
      );
    }
    out.set(name, tool);
  }
  return out;
}
