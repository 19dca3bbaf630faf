// fs.write: writes a file inside the workspace. The file is opened with O_NOFOLLOW, so a symlink swapped
// in after the scope check cannot redirect the write.
import { constants } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { resolveInside, workspaceScope } from '../workspace.js';

export const WRITE_LIMIT = 10 * 1024 * 1024;

const Input = z.strictObject({
  path: z.string().min(1).describe('file path relative to the workspace'),
  content: z.string().max(WRITE_LIMIT).describe('the text to write'),
  mode: z
    .enum(['overwrite', 'append', 'create'])
    .default('overwrite')
    .describe('overwrite (default), append, or create (fails if it exists)'),
});

export const fsWrite = defineTool({
  name: 'fs.write',
  description: 'Write a text file in the workspace (creates folders as needed).',
  input: Input,
  effect: 'write',
  // Overwriting with the same content is safe to repeat; appending twice or creating twice is not.
  idempotent: (args: z.infer<typeof Input>) => args.mode === 'overwrite',
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'write'),
  run: async ({ path, content, mode }, ctx) => {
    const where = await resolveInside(ctx.workspace, path, 'write');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    await mkdir(dirname(where.absolute), { recursive: true });
    // Folders created above could only have been made inside: every existing hop was checked.
    const again = await resolveInside(ctx.workspace, path, 'write');
    if (!again.ok || again.absolute !== where.absolute)
      throw new NightshiftError(
        'SCOPE_VIOLATION',
        again.ok ? `'${path}' changed while being written` : again.reason,
      );
    // No O_TRUNC at open: the file is checked first (regular, one link) and only then truncated, so a
    // hard link to a file outside the workspace is refused before anything changes. O_NONBLOCK keeps a
    // fifo from blocking the open; O_NOFOLLOW refuses a symlink swapped in after the scope check.
    const flags =
      constants.O_WRONLY |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      constants.O_NONBLOCK |
      (mode === 'append' ? constants.O_APPEND : mode === 'create' ? constants.O_EXCL : 0);
    const handle = await open(where.absolute, flags, 0o644).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new Error(`'${path}' already exists (mode: create)`);
      if (err.code === 'ELOOP')
        throw new NightshiftError(
          'SCOPE_VIOLATION',
          `'${path}' is a symlink; fs tools do not write through symlinks`,
        );
      if (err.code === 'ENXIO') throw new Error(`'${path}' is not a regular file`);
      throw new Error(`cannot write '${path}': ${err.code ?? err.message}`);
    });
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`'${path}' is not a regular file`);
      if (st.nlink > 1)
        throw new NightshiftError(
          'SCOPE_VIOLATION',
          `'${path}' has ${st.nlink} hard links; it may be a file outside the workspace, so it is not written`,
        );
      if (mode === 'overwrite') await handle.truncate(0);
      await handle.write(content, mode === 'overwrite' ? 0 : null, 'utf8');
    } finally {
      await handle.close();
    }
    return { path, bytes: Buffer.byteLength(content), mode };
  },
});
