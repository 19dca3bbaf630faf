// Paths compared as the fs tools see them: a workspace's files are where their real paths lead.
import { realpathSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';

/** Whether `file` lies strictly inside `folder`, by the paths as written. */
export function isInside(folder: string, file: string): boolean {
  const rel = relative(folder, file);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Where a path really is, symlinks resolved; as written when it does not exist (yet). */
export function realOr(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    // Not there (yet): its nearest existing folder's real path and the rest, so a file to be created
    // behind a linked folder (`./bin` → `./ws/bin`) is still seen where it would land.
    const parent = dirname(path);
    return parent === path ? path : join(realOr(parent), basename(path));
  }
}

/**
 * Whether `file` lies in `workspace` as the fs tools see it. They work in the workspace's real path, so
 * the paths are compared after resolving symlinks: a workspace `./ws` that is a symlink to the role's
 * folder holds the role's files although `ws/` is not in their written path.
 */
export function inWorkspace(workspace: string, file: string): boolean {
  return isInside(workspace, file) || isInside(realOr(workspace), realOr(file));
}
