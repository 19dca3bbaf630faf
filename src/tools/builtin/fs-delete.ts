// fs.delete: removes a file (or, with recursive, a folder) inside the workspace. A symlink is removed
// itself; its target is never touched. The removal goes through opened folders (remove-inside.ts), so a
// folder swapped for a symlink after the checks cannot lead it outside.
import { join, posix, relative, sep } from 'node:path';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import { defineTool } from '../define.js';
import { removeInside } from '../remove-inside.js';
import {
  gitFolderDeleteReason,
  protectedReason,
  refuseProtected,
  resolveInside,
  workspaceScope,
} from '../workspace.js';

/**
 * Why deleting `path` (its parent resolved to `parent`) is refused for lying in a `.git`, as written or as
 * resolved, if it is (decision 053).
 */
function inGit(path: string, parent: { absolute: string; workspace: string }, name: string) {
  const resolved = relative(parent.workspace, join(parent.absolute, name)).split(sep);
  return gitFolderDeleteReason(path, path.split('/'), resolved);
}

export const fsDelete = defineTool({
  name: 'fs.delete',
  description: 'Delete a file in the workspace (a folder needs recursive: true).',
  input: z.strictObject({ path: z.string().min(1), recursive: z.boolean().default(false) }),
  effect: 'write',
  // Deleting what is already gone is a no-op, so a retry is safe.
  idempotent: true,
  scope: async ({ path }, ctx) => {
    const normal = posix.normalize(path).replace(/\/+$/, '');
    const name = posix.basename(normal);
    if (name === '' || name === '.' || name === '..')
      return { kind: 'outside', reason: `'${path}' names no file inside the workspace` };
    const parent = await workspaceScope(ctx.workspace, posix.dirname(normal), 'read', 'fs.delete');
    if (parent.kind !== 'inside') return parent;
    // A folder deleted whole takes what it holds with it: refused when it is or holds a protected path,
    // as run() refuses it.
    const resolved = await resolveInside(ctx.workspace, posix.dirname(normal), 'read', 'fs.delete');
    if (resolved.ok) {
      const git = inGit(path, resolved, name);
      if (git !== undefined) return { kind: 'outside', reason: git };
      const where = { absolute: join(resolved.absolute, name), workspace: resolved.workspace };
      const refused = protectedReason(where, ctx.protectedPaths, path, true);
      if (refused !== undefined) return { kind: 'outside', reason: refused };
    }
    // The name itself is not followed (a symlink is removed itself), so it is appended as written.
    const dir = String(parent.canonical?.path ?? '.');
    return { kind: 'inside', canonical: { path: dir === '.' ? name : `${dir}/${name}` } };
  },
  run: async ({ path, recursive }, ctx) => {
    // The parent folder is resolved (following symlinks, confined); the last name is not followed, so a
    // symlink is removed itself and its target is never touched.
    const normal = posix.normalize(path).replace(/\/+$/, '');
    const name = posix.basename(normal);
    if (name === '' || name === '.' || name === '..')
      throw new NightshiftError('SCOPE_VIOLATION', `'${path}' names no file inside the workspace`);
    const parent = await resolveInside(ctx.workspace, posix.dirname(normal), 'read', 'fs.delete');
    if (!parent.ok) throw new NightshiftError('SCOPE_VIOLATION', parent.reason);
    const target = join(parent.absolute, name);
    const git = inGit(path, parent, name);
    if (git !== undefined) throw new NightshiftError('SCOPE_VIOLATION', git);
    // A folder deleted whole takes what it holds with it.
    refuseProtected({ absolute: target, workspace: parent.workspace }, ctx.protectedPaths, path, true);
    return { path, deleted: await removeInside(parent, name, path, recursive) };
  },
});
