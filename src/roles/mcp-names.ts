// The names MCP tools get in a role: `<server>.<tool>`.
import type { McpServerConfig } from './schema.js';

export function mcpToolNames(servers: readonly McpServerConfig[]): string[] {
  return servers.flatMap((s) => Object.keys(s.tools).map((t) => `${s.name}.${t}`));
}
