// fs.search: finds text in the workspace's files (symlinks are not followed; large files are skipped).
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { resolveInside, workspaceScope } from '../workspace.js';
import { READ_LIMIT } from './fs-read.js';

const MAX_FILES = 5000;

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
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'read'),
  run: async ({ pattern, regex, path, maxResults }, ctx) => {
    const where = await resolveInside(ctx.workspace, path, 'read');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    let re: RegExp | undefined;
    if (regex) {
      try {
        re = new RegExp(pattern);
      } catch (err) {
        throw new Error(`invalid regular expression: ${(err as Error).message}`);
      }
    }
    const matches: { path: string; line: number; text: string }[] = [];
    let files = 0;
    let truncated = false;
    const walk = async (dir: string, prefix: string): Promise<void> => {
      for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      )) {
        if (matches.length >= maxResults || files >= MAX_FILES) {
          truncated = true;
          return;
        }
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        const abs = join(dir, entry.name);
        if (entry.isDirectory()) await walk(abs, rel);
        else if (entry.isFile()) {
          files++;
          if ((await lstat(abs)).size > READ_LIMIT) continue;
          const text = await readFile(abs, 'utf8');
          if (text.includes('\0')) continue; // binary
          text.split('\n').forEach((line, i) => {
            if (matches.length < maxResults && (re ? re.test(line) : line.includes(pattern))) {
              matches.push({
                path: rel,
                line: i + 1,
                text: line.length > 300 ? `${line.slice(0, 300)}…` : line,
              });
            }
          });
        }
      }
    };
    await walk(where.absolute, path === '.' ? '' : path.replace(/\/+$/, ''));
    return { matches, truncated };
  },
});
