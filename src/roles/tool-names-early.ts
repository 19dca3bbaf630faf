// `validate` reports every problem at once. A file whose shape is wrong stops before the checks that need a
// valid role (scripts, tool modules, specialists), but a misspelt tool name is the commonest mistake and is
// cheap to find from the raw YAML: it is reported with the shape's problems instead of after they are fixed.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { YamlSource } from '../config/yaml-file.js';
import { type Issue, NightshiftError } from '../errors.js';
import { builtinTools } from '../tools/builtin/index.js';
import { loadToolModules } from '../tools/modules.js';

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();

/**
 * Unknown names in the raw `tools:` list (with the list, the names available and those the modules give),
 * where the names available can be known without a valid role:
 * the built-ins and the tool modules named (relative to `dir`) and loadable. Nothing when MCP servers are
 * named (their tools are only known from a valid role) or a module cannot be loaded (its own problem
 * is reported once the shape is right): then undefined.
 */
export async function toolNamesOfRaw(
  source: YamlSource,
  dir: string,
  projectToolModules: readonly string[] = [],
): Promise<
  | {
      unknown: Issue[];
      tools: string[];
      /** `tools:` as written, each entry at its index (anything but a string is the shape's problem). */
      listed: readonly unknown[];
      available: ReadonlySet<string>;
      /** The names the tool modules provide (a built-in of such a name is replaced). */
      fromModules: ReadonlySet<string>;
    }
  | undefined
> {
  // A file with YAML syntax errors has no data to look at.
  if (source.syntaxIssues().length > 0) return undefined;
  const data = source.data();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const raw = data as Record<string, unknown>;
  if (!Array.isArray(raw.tools) || raw.mcp !== undefined) return undefined;
  const given = raw.toolModules ?? [];
  if (!Array.isArray(given) || !given.every((m) => typeof m === 'string')) return undefined;
  const modules = [...projectToolModules, ...given.map((m) => resolve(dir, m as string))];
  if (!modules.every(isFile)) return undefined;
  const available = new Set<string>(builtinTools.map((t) => t.name));
  const fromModules = new Set<string>();
  try {
    for (const t of await loadToolModules(modules)) {
      available.add(t.name);
      fromModules.add(t.name);
    }
  } catch (err) {
    if (NightshiftError.isInstance(err)) return undefined;
    throw err;
  }
  const unknown = unknownTools(raw.tools, available).map(([i, message]) =>
    source.issue(['tools', i], message),
  );
  const tools = raw.tools.filter((t): t is string => typeof t === 'string');
  return { unknown, tools, listed: raw.tools, available, fromModules };
}

/** Each name in `tools` (strings; anything else is the shape's problem) that `available` lacks. */
export function unknownTools(tools: readonly unknown[], available: ReadonlySet<string>): [number, string][] {
  const names = [...available].join(', ');
  const out: [number, string][] = [];
  tools.forEach((name, i) => {
    // `escalate` is always available; naming it in tools is refused elsewhere (roles.md).
    if (typeof name === 'string' && name !== 'escalate' && !available.has(name))
      out.push([i, `unknown tool '${name}' (available: ${names})`]);
  });
  return out;
}
