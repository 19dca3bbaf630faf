// fs.search: finds text in the workspace's files (symlinks are not followed; large files are skipped).
// Each file is opened first and checked on the opened descriptor (openInside), so a file swapped for a
// symlink or a hard link after the folder was listed is skipped, never read.
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createContext, Script } from 'node:vm';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { callInvalid, toolFailed, toolTimeout } from '../failures.js';
import { byName, listedName } from '../file-names.js';
import {
  openInside,
  protectedOverlap,
  refuseProtected,
  resolveInside,
  workspaceScope,
} from '../workspace.js';
import { READ_LIMIT } from './fs-read.js';

/** The most files one search reads. */
export const MAX_FILES = 5000;
/**
 * The most folders one search reads (the folder it names counts one). Files alone bounded nothing in a tree
 * of empty folders, or of folders holding only protected paths, symlinks or fifos: each costs a readdir and
 * was walked to the end. The same number as files: a real tree runs out of files first (a Linux source tree
 * has about fourteen files a folder), and 5,000 reads of an empty folder take well under a second.
 */
export const MAX_FOLDERS = 5000;
/** Total time a model-supplied regular expression may take over one search. */
const REGEX_BUDGET_MS = 2000;

// The model writes the pattern, so it may backtrack catastrophically; it runs in a vm context whose
// timeout interrupts the match instead of blocking the whole process.
const scan = new Script(
  'hits = []; for (let i = 0; i < lines.length; i++) if (re.test(lines[i])) hits.push(i);',
);

function regexHits(lines: string[], re: RegExp, deadline: number): Set<number> {
  const sandbox = createContext({ re, lines, hits: [] as number[] });
  const timeout = Math.max(1, deadline - Date.now());
  try {
    scan.runInContext(sandbox, { timeout });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
      throw toolTimeout(
        `the regular expression took longer than ${REGEX_BUDGET_MS} ms; use a simpler one (or a plain string)`,
      );
    }
    throw err;
  }
  return new Set(sandbox.hits as number[]);
}

/**
 * A listed file's text, read through openInside (open, then verify the descriptor), or undefined when it
 * may not be read: a symlink or a hard-linked file now, outside the workspace, not a regular file, gone,
 * or over READ_LIMIT.
 */
async function readChecked(
  where: { absolute: string; workspace: string },
  rel: string,
): Promise<string | undefined> {
  const handle = await openInside(where, rel, 'read').catch(() => undefined);
  if (!handle) return undefined;
  try {
    if ((await handle.stat()).size > READ_LIMIT) return undefined;
    return (await handle.readFile()).toString('utf8');
  } finally {
    await handle.close();
  }
}

export const fsSearch = defineTool({
  name: 'fs.search',
  description: 'Search the text files of a workspace folder for a string (or a regular expression).',
  input: z.strictObject({
    pattern: z.string().min(1).max(1000),
    regex: z.boolean().default(false).describe('treat pattern as a JavaScript regular expression'),
    path: z.string().min(1).default('.'),
    maxResults: z.number().int().positive().max(1000).default(100),
  }),
  effect: 'read',
  idempotent: true,
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'read', 'fs.search', ctx.protectedPaths),
  run: async ({ pattern, regex, path, maxResults }, ctx) => {
    const where = await resolveInside(ctx.workspace, path, 'read', 'fs.search');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    refuseProtected(where, ctx.protectedPaths, path);
    let re: RegExp | undefined;
    if (regex) {
      try {
        re = new RegExp(pattern);
      } catch (err) {
        throw callInvalid(`invalid regular expression: ${(err as Error).message}`);
      }
    }
    const deadline = Date.now() + REGEX_BUDGET_MS;
    // `escaped`: the path holds a bidirectional control or zero-width character, written as `\u202E` (file-names.ts).
    const matches: { escaped?: true; path: string; line: number; text: string }[] = [];
    let files = 0;
    let folders = 0;
    // Files that could not be read safely (several hard links, swapped for a symlink, gone, too large).
    let skipped = 0;
    let truncated = false;
    const walk = async (dir: string, prefix: string): Promise<void> => {
      folders++;
      // A sub-folder removed (or made unreadable) while searching is left out, as fs.list leaves it out;
      // the folder the call names fails the call, below.
      const items = await readdir(dir, { withFileTypes: true }).catch((err: unknown) => {
        if (dir === where.absolute) throw err;
        return [];
      });
      for (const entry of items.sort(byName)) {
        // `truncated` already: a budget ran out deeper down, and the whole walk ends with it.
        if (truncated || matches.length >= maxResults || files >= MAX_FILES) {
          truncated = true;
          return;
        }
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        const abs = join(dir, entry.name);
        if (protectedOverlap({ absolute: abs, workspace: where.workspace }, ctx.protectedPaths)) {
          if (entry.isFile()) skipped++;
          continue;
        }
        if (entry.isDirectory()) {
          if (folders >= MAX_FOLDERS) {
            truncated = true;
            return;
          }
          await walk(abs, rel);
        } else if (entry.isFile()) {
          files++;
          const text = await readChecked({ absolute: abs, workspace: where.workspace }, rel);
          if (text === undefined) {
            skipped++;
            continue;
          }
          if (text.includes('\0')) continue; // binary
          const lines = text.split('\n');
          const { name: shown, ...escaped } = listedName(rel);
          const hit = re ? regexHits(lines, re, deadline) : undefined;
          lines.forEach((line, i) => {
            if (!(hit ? hit.has(i) : line.includes(pattern))) return;
            // A match past maxResults in the file being read: the walk's check above sees the cut only at a
            // next entry, and the walk's last file has none.
            if (matches.length >= maxResults) {
              truncated = true;
              return;
            }
            matches.push({
              path: shown,
              ...escaped,
              line: i + 1,
              text: line.length > 300 ? `${line.slice(0, 300)}…` : line,
            });
          });
        }
      }
    };
    // Phrased like fs.list's: a missing folder is the call's mistake (TOOL_CALL_INVALID), and the bare
    // `scandir` error would also have shown the workspace's absolute path on the host.
    await walk(where.absolute, path === '.' ? '' : path.replace(/\/+$/, '')).catch(
      (err: NodeJS.ErrnoException) => {
        if (NightshiftError.isInstance(err)) throw err;
        if (err.code === 'ENOENT') throw callInvalid(`no folder '${path}' in the workspace`, err);
        if (err.code === 'ENOTDIR')
          throw callInvalid(
            `'${path}' is not a folder; fs.search searches a folder (read a file with fs.read)`,
            err,
          );
        throw toolFailed(`cannot search '${path}' (${err.code ?? err.message})`, err);
      },
    );
    return { matches, truncated, skipped };
  },
});
