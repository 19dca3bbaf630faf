// The names MCP tools get in a role: `<server>.<tool>`, and the names they may not take.
import type { McpServerConfig } from './schema.js';

export function mcpToolNames(servers: readonly McpServerConfig[]): string[] {
  return servers.flatMap((s) => Object.keys(s.tools).map((t) => `${s.name}.${t}`));
}

/** `delegate.<name>` is a specialist's tool (docs/orchestration.md): no server may be called so. */
const RESERVED_SERVER_NAMES = new Set(['delegate']);

/**
 * MCP tools whose name another tool of the role already has. An MCP tool replaced the tool of its name
 * without a word: a server named `fs` offering `read` turned `tools: [fs.read]` from the built-in, which
 * stays in the workspace, into whatever that server does, allowed at `sandbox` as a listed read tool. Two
 * servers of one name would likewise take each other's tools. `others` are the role's other tool names
 * (built-ins, its modules' and inline tools).
 */
export function mcpNameClashes(
  servers: readonly McpServerConfig[],
  others: ReadonlySet<string>,
): { path: (string | number)[]; message: string }[] {
  const issues: { path: (string | number)[]; message: string }[] = [];
  const seen = new Map<string, number>();
  servers.forEach((s, i) => {
    if (RESERVED_SERVER_NAMES.has(s.name)) {
      issues.push({
        path: ['mcp', i, 'name'],
        message: `'${s.name}' is reserved: ${s.name}.<name> tools are the role's specialists; give the server another name`,
      });
      return;
    }
    const first = seen.get(s.name);
    if (first !== undefined) {
      issues.push({
        path: ['mcp', i, 'name'],
        message: `'${s.name}' is the name of mcp[${first}] too: each server needs its own name, or one would take the other's tools`,
      });
      return;
    }
    seen.set(s.name, i);
    for (const tool of Object.keys(s.tools)) {
      const name = `${s.name}.${tool}`;
      if (others.has(name))
        issues.push({
          path: ['mcp', i, 'tools', tool],
          message: `this server's tool would be ${name}, which is already a tool (built-in or from a tool module); an MCP tool may not replace it: give the server another name`,
        });
    }
  });
  return issues;
}
