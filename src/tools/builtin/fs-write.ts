// fs.write: writes a text file inside the workspace, creating its folders. Nothing is created until the
// path is checked, and every file is opened with openInside, so a symlink swapped in after the check
// cannot redirect the write. An overwrite replaces the file whole (replaceInside), so a crash cannot leave
// it half written.
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { callInvalid, toolFailed } from '../failures.js';
import { inTurnAt } from '../file-turns.js';
import {
  makeParents,
  openInside,
  refuseProtected,
  replaceInside,
  resolveInside,
  workspaceScope,
} from '../workspace.js';

/** What fs.write and fs.edit may put in a file, in bytes (the text's UTF-8 encoding, as written). */
export const WRITE_LIMIT = 10 * 1024 * 1024;

/**
 * Text that encodes to at most WRITE_LIMIT bytes of UTF-8. A string's length counts UTF-16 code units,
 * and a character takes up to 3 bytes for each of them (a lone surrogate is written as U+FFFD, 3 bytes),
 * so `.max()` alone would let 30 MiB through. `.max()` stays: no text over it can fit (no code unit encodes
 * to less than a byte), it is cheap, and it is the `maxLength` the model sees in the tool's JSON Schema.
 */
export function writableText(description: string) {
  return z
    .string()
    .max(WRITE_LIMIT)
    .superRefine((text, ctx) => {
      if (text.length > WRITE_LIMIT) return; // .max() has said so
      const bytes = Buffer.byteLength(text, 'utf8');
      if (bytes > WRITE_LIMIT)
        ctx.addIssue({
          code: 'custom',
          message: `the text is ${bytes} bytes in UTF-8, over the ${WRITE_LIMIT}-byte write limit`,
        });
    })
    .describe(description);
}

const Input = z.strictObject({
  path: z.string().min(1).describe('file path relative to the workspace'),
  content: writableText('the text to write'),
  mode: z
    .enum(['overwrite', 'append', 'create'])
    .default('overwrite')
    .describe('overwrite (default), append, or create (fails if the file exists with other content)'),
});
type Input = z.infer<typeof Input>;

/** Whether the file `create` found in its way already holds exactly `content`. */
async function holdsAlready(
  where: { absolute: string; workspace: string },
  path: string,
  content: string,
): Promise<boolean> {
  const expected = Buffer.from(content, 'utf8');
  const handle = await openInside(where, path, 'read');
  try {
    if ((await handle.stat()).size !== expected.length) return false;
    return (await handle.readFile()).equals(expected);
  } finally {
    await handle.close();
  }
}

export const fsWrite = defineTool({
  name: 'fs.write',
  description:
    'Write a text file in the workspace (path relative to the workspace; creates folders as needed).',
  input: Input,
  effect: 'write',
  // Re-run after a crash left the outcome unknown: overwrite writes the same bytes again; create finds
  // the file it made and, its content being the same, succeeds again (holdsAlready). Append would add the
  // content a second time, so an unknown append escalates to a human instead of being re-run.
  idempotent: (args: Input) => args.mode !== 'append',
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'write', 'fs.write', ctx.protectedPaths),
  run: async ({ path, content, mode }, ctx) => {
    // Checked again here, not only by the policy: the file system may have changed since.
    const where = await resolveInside(ctx.workspace, path, 'write', 'fs.write');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    refuseProtected(where, ctx.protectedPaths, path);
    // 'notes/' or 'notes/.' would otherwise create a file named notes.
    if (['', '.', '..'].includes(path.split('/').at(-1) ?? ''))
      throw callInvalid(`'${path}' names a folder; give the path of a file`);
    await makeParents(where, path);
    const bytes = Buffer.byteLength(content, 'utf8');
    const opening = (purpose: 'edit' | 'append' | 'create') =>
      openInside(where, path, purpose).catch(async (err: NodeJS.ErrnoException) => {
        if (NightshiftError.isInstance(err)) throw err;
        if (err.code === 'EEXIST') {
          // What a re-run of a create that succeeded finds: the same outcome, reported the same way.
          if (await holdsAlready(where, path, content)) return undefined;
          throw callInvalid(`'${path}' already exists (mode: create); use mode overwrite to replace it`, err);
        }
        // Overwrite opens only a file that is there (as fs.edit does: no O_CREAT), to replace it whole.
        if (err.code === 'ENOENT' && purpose === 'edit') return undefined;
        if (err.code === 'EISDIR') throw callInvalid(`'${path}' is a folder`, err);
        if (err.code) throw toolFailed(`cannot write '${path}' (${err.code})`, err);
        throw err;
      });
    const replacedTooOften = () =>
      toolFailed(`'${path}' kept being replaced while this call waited to write it; nothing was written`);
    if (mode === 'overwrite') {
      // Written beside the file and renamed over it (replaceInside): a crash mid-write leaves the old text
      // or the new one, never a truncated file. The file that is there is opened first (as for any write:
      // regular, one link, inside), for its turn (file-turns.ts) and its permission bits.
      await inTurnAt(
        where.absolute,
        () => opening('edit'),
        (current) => replaceInside(where, path, content, current),
        replacedTooOften,
      );
      return { path, bytes, mode };
    }
    if (mode === 'create') {
      const handle = await opening('create');
      if (handle === undefined) return { path, bytes, mode };
      try {
        await handle.writeFile(content, 'utf8');
      } finally {
        await handle.close();
      }
      return { path, bytes, mode };
    }
    // Append: in the file's turn, so another append's size check and write do not interleave, and an
    // overwrite or edit that replaced the file meanwhile is followed to the new one (inTurnAt).
    await inTurnAt(
      where.absolute,
      () => opening('append'),
      async (handle) => {
        if (handle === undefined) return; // not reached: an append creates what is not there
        // Each call is bounded by the schema; without this, appends would grow a file without end (a
        // thousand calls, 10 GB), past what fs.edit and fs.read can then handle. fs.edit has the same bound.
        const { size } = await handle.stat();
        if (size + bytes > WRITE_LIMIT)
          throw callInvalid(
            `appending ${bytes} bytes to '${path}' (${size} bytes) would leave it over the ${WRITE_LIMIT}-byte write limit`,
          );
        await handle.writeFile(content, 'utf8');
      },
      replacedTooOften,
    );
    return { path, bytes, mode };
  },
});
