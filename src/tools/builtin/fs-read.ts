// fs.read: reads a regular file inside the workspace.
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { resolveInside, workspaceScope } from '../workspace.js';

export const READ_LIMIT = 1024 * 1024;

export const fsRead = defineTool({
  name: 'fs.read',
  description: 'Read a text file in the workspace (path relative to the workspace).',
  input: z.strictObject({
    path: z.string().min(1).describe('file path relative to the workspace'),
    maxBytes: z
      .number()
      .int()
      .positive()
      .max(READ_LIMIT)
      .optional()
      .describe(`read at most this many bytes (default and limit ${READ_LIMIT})`),
  }),
  effect: 'read',
  idempotent: true,
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'read'),
  run: async ({ path, maxBytes }, ctx) => {
    const where = await resolveInside(ctx.workspace, path, 'read');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    const limit = maxBytes ?? READ_LIMIT;
    const handle = await open(
      where.absolute,
      constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK,
    ).catch((err: NodeJS.ErrnoException) => {
      throw new Error(
        err.code === 'ENOENT'
          ? `no file '${path}' in the workspace`
          : `cannot open '${path}': ${err.code ?? err.message}`,
      );
    });
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new Error(`'${path}' is not a regular file`);
      if (st.size > READ_LIMIT)
        throw new Error(`'${path}' is ${st.size} bytes, over the ${READ_LIMIT}-byte read limit`);
      const buffer = Buffer.alloc(Math.min(st.size, limit));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      return {
        path,
        content: buffer.subarray(0, bytesRead).toString('utf8'),
        bytes: st.size,
        truncated: st.size > bytesRead,
      };
    } finally {
      await handle.close();
    }
  },
});
