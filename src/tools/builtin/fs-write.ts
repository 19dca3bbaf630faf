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
    const flags =
      constants.O_WRONLY |
      constants.O_CREAT |
      constants.O_NOFOLLOW |
      (mode === 'append' ? constants.O_APPEND : mode === 'create' ? constants.O_EXCL : constants.O_TRUNC);
    const handle = await open(where.absolute, flags, 0o644).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') throw new Error(`'${path}' already exists (mode: create)`);
      if (err.code === 'ELOOP')
        throw new NightshiftError(
          'SCOPE_VIOLATION',
          `'${path}' is a symlink; fs tools do not write through symlinks`,
        );
      throw new Error(`cannot write '${path}': ${err.code ?? err.message}`);
    });
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`'${path}' is not a regular file`);
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    return { path, bytes: Buffer.byteLength(content), mode };
  },
});
