// fs.edit: replaces exact text in a workspace file (a patch the model can state precisely).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { resolveInside, workspaceScope } from '../workspace.js';
import { READ_LIMIT } from './fs-read.js';

export const fsEdit = defineTool({
  name: 'fs.edit',
  description:
    'Replace exact text in a workspace file. Fails if the text is absent, or found more than once without all: true.',
  input: z.strictObject({
    path: z.string().min(1),
    old: z.string().min(1).describe('the exact text to replace'),
    new: z.string().describe('the replacement'),
    all: z.boolean().default(false).describe('replace every occurrence'),
  }),
  effect: 'write',
  // Re-applying an edit after a crash may find the text already replaced (or replace a second copy).
  idempotent: false,
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'write'),
  run: async ({ path, old, new: replacement, all }, ctx) => {
    const where = await resolveInside(ctx.workspace, path, 'write');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    const handle = await open(
      where.absolute,
      constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    ).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw new Error(`no file '${path}' in the workspace`);
      if (err.code === 'ELOOP')
        throw new NightshiftError(
          'SCOPE_VIOLATION',
          `'${path}' is a symlink; fs tools do not write through symlinks`,
        );
      throw new Error(`cannot open '${path}': ${err.code ?? err.message}`);
    });
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`'${path}' is not a regular file`);
      if (st.nlink > 1)
        throw new NightshiftError(
          'SCOPE_VIOLATION',
          `'${path}' has ${st.nlink} hard links; it may be a file outside the workspace, so it is not edited`,
        );
      if (st.size > READ_LIMIT)
        throw new Error(`'${path}' is ${st.size} bytes, over the ${READ_LIMIT}-byte limit`);
      const text = (await handle.readFile()).toString('utf8');
      const count = text.split(old).length - 1;
      if (count === 0) throw new Error(`the text to replace was not found in '${path}'`);
      if (count > 1 && !all)
        throw new Error(
          `the text to replace occurs ${count} times in '${path}'; include more context or set all: true`,
        );
      const next = all ? text.split(old).join(replacement) : text.replace(old, () => replacement);
      await handle.truncate(0);
      await handle.write(next, 0, 'utf8');
      return { path, replaced: all ? count : 1, bytes: Buffer.byteLength(next) };
    } finally {
      await handle.close();
    }
  },
});
