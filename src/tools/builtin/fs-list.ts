// fs.list: lists a folder inside the workspace, optionally with its sub-folders, up to a cap.
import { type Dir, type Dirent, lstatSync, opendirSync } from 'node:fs';
import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { callInvalid, toolFailed } from '../failures.js';
import { byName, listedName } from '../file-names.js';
import { protectedWithin, refuseProtected, resolveInside, workspaceScope } from '../workspace.js';

/** The most entries one listing returns; `truncated` says when there were more. */
export const LIST_LIMIT = 1000;

/**
 * How many entries one listing may handle with synchronous calls (each folder opened counts one, each entry
 * read one, each file's lstat one) before the rest goes through the async forms. A thread-pool hand-off
 * costs 60-100 us of CPU per call on the 2-core bench machine against 6-10 us for the synchronous call (the
 * same measure as workspace.ts's resolveInside), and listing an empty workspace three times a run was ~10 %
 * of a Postgres worker's busy time in the substrate bench. A folder is read entry by entry from one
 * handle (opendir): synchronously while the budget lasts, then on with the async reads of the same handle,
 * so what blocks the loop stays about a millisecond whatever the folder holds (its st_size bounds nothing
 * on ZFS, FUSE or overlayfs).
 */
export const SYNC_ENTRIES = 128;

/** `escaped`: the name holds a bidirectional control or zero-width character, written as `\u202E` (file-names.ts). */
type Entry = { name: string; escaped?: true; type: 'file' | 'dir' | 'symlink' | 'other'; size: number };

export const fsList = defineTool({
  name: 'fs.list',
  description: `List the files in a folder of the workspace (at most ${LIST_LIMIT} entries; truncated: true when there are more).`,
  input: z.strictObject({
    path: z.string().min(1).default('.').describe('folder relative to the workspace'),
    recursive: z
      .boolean()
      .default(false)
      .describe('include sub-folders (symlinked folders are listed, not followed)'),
  }),
  effect: 'read',
  idempotent: true,
  scope: ({ path }, ctx) => workspaceScope(ctx.workspace, path, 'read', 'fs.list', ctx.protectedPaths),
  // Entries are in depth-first order, each folder sorted by name, with names relative to `path`. Sizes are
  // those of files; folders, symlinks and others show 0. Listing reveals names and sizes only, so it does
  // not take openInside's guard against a folder swapped for a symlink after the check. Protected paths
  // (the project config, secrets files, other roles' workspaces), which fs.read refuses, are left out.
  run: async ({ path, recursive }, ctx) => {
    // Checked again here, not only by the policy: the file system may have changed since.
    const where = await resolveInside(ctx.workspace, path, 'read', 'fs.list');
    if (!where.ok) throw new NightshiftError('SCOPE_VIOLATION', where.reason);
    refuseProtected(where, ctx.protectedPaths, path);
    const isProtected = protectedWithin(where.workspace, ctx.protectedPaths);
    const entries: Entry[] = [];
    let truncated = false;
    let syncLeft = SYNC_ENTRIES;
    // Either form throws the same errors (ENOENT, ENOTDIR, EACCES), as a rejection since this is async.
    const readFolder = async (dir: string): Promise<Dirent[]> => {
      let handle: Dir;
      if (syncLeft-- > 0) handle = opendirSync(dir);
      else handle = await opendir(dir);
      const items: Dirent[] = [];
      try {
        for (;;) {
          const item = syncLeft-- > 0 ? handle.readSync() : await handle.read();
          if (item === null) return items;
          items.push(item);
        }
      } finally {
        handle.closeSync();
      }
    };
    // An entry removed while listing keeps its place, with size 0.
    const sizeOf = async (path: string): Promise<number> => {
      if (syncLeft-- <= 0)
        return lstat(path).then(
          (st) => st.size,
          () => 0,
        );
      try {
        return lstatSync(path).size;
      } catch {
        return 0;
      }
    };
    const walk = async (dir: string, prefix: string): Promise<void> => {
      // A sub-folder removed (or made unreadable) while listing is left out, not a failure of the listing.
      const items = await readFolder(dir).catch((err: unknown) => {
        if (prefix === '') throw err;
        return [];
      });
      items.sort(byName);
      for (const item of items) {
        if (entries.length >= LIST_LIMIT) {
          truncated = true;
          return;
        }
        // The walk starts at a real path and follows no symlink, so this is the entry's real path.
        if (isProtected(join(dir, item.name))) continue;
        const name = prefix ? `${prefix}/${item.name}` : item.name;
        const type = item.isSymbolicLink()
          ? 'symlink'
          : item.isDirectory()
            ? 'dir'
            : item.isFile()
              ? 'file'
              : 'other';
        const size = type === 'file' ? await sizeOf(join(dir, item.name)) : 0;
        entries.push({ ...listedName(name), type, size });
        if (recursive && type === 'dir') await walk(join(dir, item.name), name);
      }
    };
    await walk(where.absolute, '').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') throw callInvalid(`no folder '${path}' in the workspace`, err);
      if (err.code === 'ENOTDIR') throw callInvalid(`'${path}' is not a folder`, err);
      throw toolFailed(`cannot list '${path}' (${err.code ?? err.message})`, err);
    });
    return { path, entries, truncated };
  },
});
