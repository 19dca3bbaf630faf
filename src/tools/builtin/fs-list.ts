// fs.list: lists a folder inside the workspace.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { resolveInside, workspaceScope } from '../workspace.js';

const MAX_ENTRIES = 1000;

type Entry = { name: string; type: 'file' | 'dir' | 'symlink' | 'other'; size: number };

export const fsList = defineTool({
  name: 'fs.list',
  description: 'List the files in a folder of the workspace.',
  input: z.strictObject({
    path: z.string().min(1).default('.').describe('folder relative to the workspace'),
    recursive: z
      .boolean()
      .default(false)
      .describe('include sub-folders (symlinked folders are not followed)'),
  }),
  effect: 'read',
  idempotent: true,
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'read'),
  run: async ({ path, recursive }, ctx) => {
    const where = await resolveInside(ctx.workspace, path, 'read');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    const entries: Entry[] = [];
    let truncated = false;
    const walk = async (dir: string, prefix: string): Promise<void> => {
      const items = (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
        a.name.localeCompare(b.name),
      );
      for (const item of items) {
        if (entries.length >= MAX_ENTRIES) {
          truncated = true;
          return;
        }
        const name = prefix ? `${prefix}/${item.name}` : item.name;
        const type = item.isSymbolicLink()
          ? 'symlink'
          : item.isDirectory()
            ? 'dir'
            : item.isFile()
              ? 'file'
              : 'other';
        const size = type === 'file' ? (await lstat(join(dir, item.name))).size : 0;
        entries.push({ name, type, size });
        if (recursive && type === 'dir') await walk(join(dir, item.name), name);
      }
    };
    await walk(where.absolute, '').catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        err.code === 'ENOENT'
          ? `no folder '${path}' in the workspace`
          : `cannot list '${path}': ${err.code ?? err.message}`,
      );
    });
    return { path, entries, truncated };
  },
});
