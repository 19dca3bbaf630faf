// Custom tools come from TypeScript or JavaScript modules a role names (`toolModules`). JavaScript goes
// through Node's own loader; TypeScript through tsx, so a project's .ts tool files work without a build
// step. tsx is imported only when a .ts module is loaded: a library user with JavaScript tools never loads
// it (decision 015).
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tooLargeReason } from '../config/capped-read.js';
import { NightshiftError } from '../errors.js';
import { isTool } from './define.js';
import type { AnyTool } from './types.js';

/** tsx's import function, loaded on first use (it registers nothing globally: its loader is scoped). */
async function typescriptLoader(): Promise<typeof import('tsx/esm/api')> {
  try {
    return await import('tsx/esm/api');
  } catch (err) {
    throw new NightshiftError(
      'TOOL_MODULE_INVALID',
      `TypeScript tool modules are loaded with tsx, which could not be loaded (${(err as Error).message}): install tsx (npm install tsx), or compile the module to JavaScript and name the .js file in toolModules`,
      { cause: err },
    );
  }
}

/** Keyed by absolute path and mtime: a module is imported once, and again only after it changes. */
const loaded = new Map<string, Promise<AnyTool[]>>();

function collect(value: unknown, out: AnyTool[]): void {
  if (isTool(value)) out.push(value);
  else if (Array.isArray(value)) for (const v of value) collect(v, out);
}

async function importModule(path: string, mtimeMs: number): Promise<AnyTool[]> {
  let mod: Record<string, unknown>;
  try {
    // JavaScript goes through Node's own loader (the query makes an edited file load afresh); anything
    // else through tsx, whose scoped loader evaluates the module anew on each call.
    mod = /\.(c|m)?js$/.test(path)
      ? await import(`${pathToFileURL(path).href}?mtime=${mtimeMs}`)
      : await (await typescriptLoader()).tsImport(pathToFileURL(path).href, import.meta.url);
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

/**
 * The largest tool module: 16 MiB. A module is read whole twice, by the importer and for the role's
 * version (its hash), so a file named by mistake (a log, a dump) is refused first. Larger than the 1 MiB of
 * the files a person writes by hand: a tool module may be a bundle (esbuild output with its dependencies).
 */
export const MAX_TOOL_MODULE_BYTES = 16 * 1024 * 1024;

/** The tool modules' kind of file, for the size message. */
export const TOOL_MODULE_FILES = 'tool modules';

export function toolModuleTooLarge(path: string, size: number | undefined): NightshiftError {
  return new NightshiftError(
    'TOOL_MODULE_INVALID',
    `tool module ${path} ${tooLargeReason(size, MAX_TOOL_MODULE_BYTES, TOOL_MODULE_FILES)}`,
    { details: { file: path, size: size ?? null, maxBytes: MAX_TOOL_MODULE_BYTES } },
  );
}

function modifiedAt(path: string): number {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch (err) {
    throw new NightshiftError('TOOL_MODULE_INVALID', `tool module ${path} not found`, { cause: err });
  }
  if (stat.size > MAX_TOOL_MODULE_BYTES) throw toolModuleTooLarge(path, stat.size);
  return stat.mtimeMs;
}

/**
 * Imports each module (TypeScript or JavaScript) and returns every tool it exports: named exports, the
 * default export, and arrays of tools. Throws TOOL_MODULE_INVALID naming the module when it fails to
 * load, exports no tools, or exports two different tools with one name.
 *
 * @example
 * const tools = await loadToolModules(['/abs/tools/refunds.ts']);
 */
export async function loadToolModules(paths: readonly string[]): Promise<AnyTool[]> {
  const all: AnyTool[] = [];
  for (const given of paths) {
    const path = resolve(given);
    const mtimeMs = modifiedAt(path);
    const key = `${path}@${mtimeMs}`;
    let p = loaded.get(key);
    if (!p) {
      p = importModule(path, mtimeMs);
      p.catch(() => loaded.delete(key));
      loaded.set(key, p);
    }
    all.push(...(await p));
  }
  return all;
}
