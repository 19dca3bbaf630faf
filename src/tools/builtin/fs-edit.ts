// fs.edit: replaces exact text in a workspace file (a patch the model can state precisely).
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { callInvalid, toolFailed } from '../failures.js';
import { inTurnAt } from '../file-turns.js';
import { openInside, refuseProtected, replaceInside, resolveInside, workspaceScope } from '../workspace.js';
import { READ_LIMIT } from './fs-read.js';
import { WRITE_LIMIT, writableText } from './fs-write.js';

export const fsEdit = defineTool({
  name: 'fs.edit',
  description:
    'Replace exact text in a workspace file. Fails if the text is absent, or found more than once without all: true.',
  input: z.strictObject({
    path: z.string().min(1),
    old: z.string().min(1).describe('the exact text to replace'),
    new: writableText('the replacement'),
    all: z.boolean().default(false).describe('replace every occurrence'),
  }),
  effect: 'write',
  // Re-applying an edit after a crash may find the text already replaced (or replace a second copy).
  idempotent: false,
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'write', 'fs.edit', ctx.protectedPaths),
  run: async ({ path, old, new: replacement, all }, ctx) => {
    const where = await resolveInside(ctx.workspace, path, 'write', 'fs.edit');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    refuseProtected(where, ctx.protectedPaths, path);
    // openInside checks the opened file (regular, one link, really inside), as for fs.write.
    const opening = () =>
      openInside(where, path, 'edit').catch((err: NodeJS.ErrnoException) => {
        if (NightshiftError.isInstance(err)) throw err;
        if (err.code === 'ENOENT') throw callInvalid(`no file '${path}' in the workspace`, err);
        if (err.code === 'ENOTDIR') throw callInvalid(`'${path}' goes through a file, not a folder`, err);
        if (err.code) throw toolFailed(`cannot open '${path}' (${err.code})`, err);
        throw err;
      });
    // In the file's turn, following a file another turn replaced meanwhile (inTurnAt): two edits at once
    // would otherwise both replace text in what the file was before either wrote, and one would be lost.
    return await inTurnAt(
      where.absolute,
      opening,
      async (handle) => {
        if (handle === undefined) throw callInvalid(`no file '${path}' in the workspace`);
        const st = await handle.stat();
        if (st.size > READ_LIMIT)
          throw callInvalid(`'${path}' is ${st.size} bytes, over the ${READ_LIMIT}-byte limit`);
        const text = (await handle.readFile()).toString('utf8');
        const count = text.split(old).length - 1;
        if (count === 0) throw callInvalid(`the text to replace was not found in '${path}'`);
        if (count > 1 && !all)
          throw callInvalid(
            `the text to replace occurs ${count} times in '${path}'; include more context or set all: true`,
          );
        const replaced = all ? count : 1;
        const size =
          Buffer.byteLength(text) + replaced * (Buffer.byteLength(replacement) - Buffer.byteLength(old));
        if (size > WRITE_LIMIT)
          throw callInvalid(
            `replacing ${replaced} occurrence${replaced === 1 ? '' : 's'} would make '${path}' ${size} bytes, over the ${WRITE_LIMIT}-byte write limit; nothing was changed`,
          );
        const next = all ? text.split(old).join(replacement) : text.replace(old, () => replacement);
        // Written beside the file and renamed over it: a crash leaves the old text or the new, whole.
        await replaceInside(where, path, next, handle);
        return { path, replaced, bytes: Buffer.byteLength(next) };
      },
      () =>
        toolFailed(`'${path}' kept being replaced while this call waited to edit it; nothing was changed`),
    );
  },
});
