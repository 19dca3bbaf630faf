// Custom tools come from TypeScript or JavaScript modules a role names (`toolModules`). They are loaded
// with tsx so a project's .ts tool files work without a build step.
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { NightshiftError } from '../errors.js';
import { isTool } from './define.js';
import type { AnyTool } from './types.js';

const loaded = new Map<string, Promise<AnyTool[]>>();

function collect(value: unknown, out: AnyTool[]): void {
  if (isTool(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out);
}

async function importModule(path: string): Promise<AnyTool[]> {
  let mod: Record<string, unknown>;
  try {
    mod = /\.(c|m)?js$/.test(path)
      ? await import(pathToFileURL(path).href)
      : await tsImport(pathToFileURL(path).href, import.meta.url);
  } catch (err) {
    throw new NightshiftError(
      'TOOL_MODULE_INVALID',
      `tool module ${path} failed to load: ${(err as Error).message}`,
      { cause: err },
    );
  }
  const tools: AnyTool[] = [];
  for (const value of Object.values(mod)) collect(value, tools);
  if (tools.length === 0) {
    throw new NightshiftError(
      'TOOL_MODULE_INVALID',
      `tool module ${path} exports no tools (export the results of defineTool)`,
    );
  }
  const seen = new Set<string>();
  const unique: AnyTool[] = [];
  for (const t of tools) {
    if (seen.has(t.name)) {
      // `export default [a, b]` next to `export const a` is the same object twice: fine. Two tools with one name are not.
      if (unique.find((u) => u.name === t.name) !== t) {
        throw new NightshiftError(
          'TOOL_MODULE_INVALID',
          `tool module ${path} exports two different tools named ${t.name}`,
        );
      }
      continue;
    }
    seen.add(t.name);
    unique.push(t);
  }
  return unique;
}

/** Imports each module once per process and returns every tool they export. */
export async function loadToolModules(paths: readonly string[]): Promise<AnyTool[]> {
  const all: AnyTool[] = [];
  for (const path of paths) {
    let p = loaded.get(path);
    if (!p) {
      p = importModule(path);
      p.catch(() => loaded.delete(path));
      loaded.set(path, p);
    }
    all.push(...(await p));
  }
  return all;
}
