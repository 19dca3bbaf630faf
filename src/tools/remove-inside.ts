// Removing a name (a file, a symlink, or a folder with all it holds) from a checked folder of the workspace
// so that nothing outside can be removed, whatever another process swaps meanwhile.
//
// A path is resolved again by every system call, so removing by path (Node's fs.rm: lstat, rmdir, readdir,
// then each child by its full path) follows a folder on the path that became a symlink to outside after it
// was checked. Node 20 has no unlinkat or openat; on Linux, /proc/self/fd/N/name is their equivalent: the
// kernel starts the lookup at the folder descriptor N is open on, wherever that folder is now, and `name` is
// one component in it. So every folder is opened (O_NOFOLLOW | O_DIRECTORY: never through a symlink) and
// every removal names a single entry of an opened folder. A process that can write the workspace but not
// outside it (a sandboxed command) can move such a folder only within the workspace, so what is removed
// was inside it when removed.
import { constants } from 'node:fs';
import { type FileHandle, lstat, open, readdir, readlink, rm, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { NightshiftError } from '../errors.js';
import { callInvalid, toolFailed } from './failures.js';

/**
 * The most folders deep a recursive removal goes below the one it removes. Each level holds a descriptor
 * open until its folder is empty, and a tree can be made deeper than any path names (mkdir in a loop of
 * cd); Node's fs.rm stopped near 2,000 levels anyway, at the 4,096-byte path limit.
 */
export const REMOVE_DEPTH = 1024;

/** How often a folder is emptied again when its rmdir finds something added, or the folder swapped, meanwhile. */
const ATTEMPTS = 3;

// O_NONBLOCK: the O_DIRECTORY check comes first, but a fifo must never hold the open in any case.
const FOLDER = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

const at = (folder: FileHandle, name: string) => `/proc/self/fd/${folder.fd}/${name}`;

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

/**
 * Removes `name` from the folder `parent` (a real path inside the workspace, as resolveInside returned it).
 * Returns false when there was nothing to remove. A symlink is removed itself, never its target. A folder
 * needs `recursive`. Throws SCOPE_VIOLATION when the parent is no longer at its checked path (a folder on
 * it was swapped), TOOL_FAILED when a tree is deeper than REMOVE_DEPTH or keeps changing.
 */
export async function removeInside(
  parent: { absolute: string; workspace: string },
  name: string,
  userPath: string,
  recursive: boolean,
): Promise<boolean> {
  let folder: FileHandle;
  try {
    folder = await open(parent.absolute, FOLDER);
  } catch (err) {
    if (code(err) === 'ENOENT') return false;
    if (code(err) !== 'ENOTDIR' && code(err) !== 'ELOOP') throw err;
    // Linux answers a symlink opened with O_DIRECTORY|O_NOFOLLOW with ENOTDIR (the folder test comes first),
    // not ELOOP: only lstat tells a parent swapped for a symlink from one that became a file.
    const now = await lstat(parent.absolute).catch(() => undefined);
    if (now?.isSymbolicLink()) throw redirected(userPath);
    // Gone, or a file now: there is no such name to remove (as lstat found before).
    return false;
  }
  try {
    let real: string | undefined;
    try {
      real = await readlink(`/proc/self/fd/${folder.fd}`);
    } catch (err) {
      // On Linux /proc is there to be read: a failure is not taken as leave to remove by path.
      if (process.platform === 'linux') throw err;
      // No /proc (not Linux): nothing to remove relative to, so by path, with the race documented.
      return await removeByPath(join(parent.absolute, name), userPath, recursive);
    }
    // The same folder that was checked: a folder above it swapped for a symlink just before the open
    // would have opened another one.
    if (real !== parent.absolute) throw redirected(userPath);
    const st = await lstat(at(folder, name)).catch((err: unknown) => {
      if (code(err) === 'ENOENT') return undefined;
      throw err;
    });
    if (!st) return false;
    if (st.isDirectory() && !recursive)
      throw callInvalid(`'${userPath}' is a folder; set recursive: true to delete it`);
    await removeEntry(folder, name, st.isDirectory(), 0, userPath);
    return true;
  } finally {
    await folder.close();
  }
}

/**
 * Removes the entry `name` of the open folder `folder`: unlinked when it is not a folder (unlink never
 * follows the name), else opened, emptied entry by entry the same way, and removed. `folderLikely` is what
 * the listing said; the system calls decide.
 */
async function removeEntry(
  folder: FileHandle,
  name: string,
  folderLikely: boolean,
  depth: number,
  userPath: string,
): Promise<void> {
  let asFolder = folderLikely;
  for (let attempt = 1; ; attempt++) {
    if (!asFolder) {
      try {
        await unlink(at(folder, name));
        return;
      } catch (err) {
        if (code(err) === 'ENOENT') return;
        // A folder (Linux's EISDIR), maybe one swapped in since it was listed.
        if (code(err) !== 'EISDIR') throw err;
        if (attempt > ATTEMPTS) throw changing(userPath);
        asFolder = true;
        continue;
      }
    }
    let inner: FileHandle;
    try {
      inner = await open(at(folder, name), FOLDER);
    } catch (err) {
      if (code(err) === 'ENOENT') return;
      // Not a folder now (a symlink or a file: ENOTDIR; ELOOP on other kernels): unlinked as one.
      if (code(err) !== 'ELOOP' && code(err) !== 'ENOTDIR') throw err;
      if (attempt > ATTEMPTS) throw changing(userPath);
      asFolder = false;
      continue;
    }
    try {
      if (depth >= REMOVE_DEPTH)
        throw toolFailed(
          `'${userPath}' holds folders more than ${REMOVE_DEPTH} deep; delete its deepest folders first (what was above them is removed)`,
        );
      // Listed whole before anything is removed, so removing does not disturb the listing.
      for (const entry of await readdir(`/proc/self/fd/${inner.fd}`, { withFileTypes: true }))
        await removeEntry(inner, entry.name, entry.isDirectory(), depth + 1, userPath);
    } finally {
      await inner.close();
    }
    try {
      await rmdir(at(folder, name));
      return;
    } catch (err) {
      if (code(err) === 'ENOENT') return;
      // Something was added meanwhile (ENOTEMPTY, EEXIST by POSIX), or the name is no longer a folder.
      if (!['ENOTEMPTY', 'EEXIST', 'ENOTDIR'].includes(code(err) ?? '')) throw err;
      if (attempt > ATTEMPTS) throw changing(userPath);
      asFolder = code(err) !== 'ENOTDIR';
    }
  }
}

/** Removal by path, where /proc/self/fd is missing: a folder swapped on the path meanwhile is followed. */
async function removeByPath(target: string, userPath: string, recursive: boolean): Promise<boolean> {
  const st = await lstat(target).catch(() => undefined);
  if (!st) return false;
  if (st.isDirectory()) {
    if (!recursive) throw callInvalid(`'${userPath}' is a folder; set recursive: true to delete it`);
    await rm(target, { recursive: true, force: true });
  } else {
    await unlink(target);
  }
  return true;
}

function redirected(userPath: string): NightshiftError {
  return new NightshiftError(
    'SCOPE_VIOLATION',
    `a folder on the path of '${userPath}' changed after it was checked, so it may lead outside the workspace; nothing was deleted`,
  );
}

function changing(userPath: string): NightshiftError {
  return toolFailed(
    `'${userPath}' kept changing while it was deleted (another process is writing it); part of it may be deleted, try again`,
  );
}
