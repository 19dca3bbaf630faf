// fs.read: reads a regular file inside the workspace, up to a size cap.
import type { FileHandle } from 'node:fs/promises';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { callInvalid, toolFailed } from '../failures.js';
import { openInside, refuseProtected, resolveInside, workspaceScope } from '../workspace.js';

/** The most fs.read returns in one call (and the largest file it reads whole). */
export const READ_LIMIT = 1024 * 1024;

/** Reads until `buffer` is full or the file ends; one read() may return less than asked. */
async function readInto(handle: FileHandle, buffer: Buffer): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

export const fsRead = defineTool({
  name: 'fs.read',
  description: `Read a text file in the workspace (path relative to the workspace). Files over ${READ_LIMIT} bytes are refused unless maxBytes is given; then their beginning is returned with truncated: true.`,
  input: z.strictObject({
    path: z.string().min(1).describe('file path relative to the workspace'),
    maxBytes: z
      .number()
      .int()
      .positive()
      .max(READ_LIMIT)
      .optional()
      .describe(`return at most this many bytes from the start (at most ${READ_LIMIT})`),
  }),
  effect: 'read',
  idempotent: true,
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'read', 'fs.read', ctx.protectedPaths),
  // `bytes` is the file's size; `content` its first `maxBytes` (or all of it), decoded as UTF-8.
  run: async ({ path, maxBytes }, ctx) => {
    // Checked again here, not only by the policy: the file system may have changed since.
    const where = await resolveInside(ctx.workspace, path, 'read', 'fs.read');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    refuseProtected(where, ctx.protectedPaths, path);
    const handle = await openInside(where, path, 'read').catch((err: NodeJS.ErrnoException) => {
      if (NightshiftError.isInstance(err)) throw err;
      if (err.code === 'ENOENT') throw callInvalid(`no file '${path}' in the workspace`, err);
      if (err.code === 'ENOTDIR') throw callInvalid(`'${path}' goes through a file, not a folder`, err);
      if (err.code) throw toolFailed(`cannot open '${path}' (${err.code})`, err);
      throw err;
    });
    try {
      const { size } = await handle.stat();
      if (maxBytes === undefined && size > READ_LIMIT)
        throw callInvalid(
          `'${path}' is ${size} bytes, over the ${READ_LIMIT}-byte read limit; pass maxBytes to read its beginning`,
        );
      const buffer = Buffer.alloc(Math.min(size, maxBytes ?? READ_LIMIT));
      const filled = await readInto(handle, buffer);
      // A file that shrank since stat() was read to its end; one that is longer was cut at the cap.
      const truncated = filled === buffer.length && size > filled;
      // In stream mode the decoder holds back a character cut in half at the cap instead of mangling it.
      const content = new TextDecoder('utf-8').decode(buffer.subarray(0, filled), { stream: truncated });
      return { path, content, bytes: size, truncated };
    } finally {
      await handle.close();
    }
  },
});
