// Confinement of agent-controlled paths to the role's workspace. The path is resolved after following
// symlinks: `..`, absolute paths, and symlinks (file or directory) that lead out are refused, with a
// reason that names the path as the model gave it.
import { lstat, realpath } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { ScopeVerdict } from './types.js';

export type Confined = { ok: true; absolute: string; workspace: string } | { ok: false; reason: string };

function outside(real: string, ws: string): boolean {
  const rel = relative(ws, real);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

/**
 * Resolves `userPath` inside `workspace`. For `write`, a final component that is a symlink is refused
 * (writes never follow links); for `read`, a link whose target stays inside is fine.
 */
export async function resolveInside(
  workspace: string | undefined,
  userPath: string,
  purpose: 'read' | 'write',
): Promise<Confined> {
  if (!workspace)
    return {
      ok: false,
      reason: 'this role has no workspace; fs tools need one (workspace: in the role file)',
    };
  if (typeof userPath !== 'string' || userPath.trim() === '')
    return { ok: false, reason: 'the path is empty' };
  if (userPath.includes('\0')) return { ok: false, reason: 'the path contains a NUL byte' };
  if (isAbsolute(userPath) || /^[a-zA-Z]:[\\/]/.test(userPath)) {
    return { ok: false, reason: `path '${userPath}' is absolute; use a path relative to the workspace` };
  }
  let ws: string;
  try {
    ws = await realpath(workspace);
  } catch {
    return { ok: false, reason: `the workspace ${workspace} does not exist` };
  }
  const target = resolve(ws, userPath);
  if (outside(target, ws)) return { ok: false, reason: `path '${userPath}' leaves the workspace` };

  // Walk the components, following symlinks as the OS would, and check every hop stays inside.
  const parts = relative(ws, target).split(sep).filter(Boolean);
  let current = ws;
  for (const [i, part] of parts.entries()) {
    const next = join(current, part);
    let st: Awaited<ReturnType<typeof lstat>>;
    try {
      st = await lstat(next);
    } catch {
      // The rest does not exist yet: nothing left to follow.
      return { ok: true, absolute: join(next, ...parts.slice(i + 1)), workspace: ws };
    }
    if (st.isSymbolicLink()) {
      const last = i === parts.length - 1;
      if (last && purpose === 'write')
        return { ok: false, reason: `'${userPath}' is a symlink; fs tools do not write through symlinks` };
      let real: string;
      try {
        real = await realpath(next);
      } catch {
        return { ok: false, reason: `'${userPath}' goes through a broken symlink` };
      }
      if (outside(real, ws))
        return {
          ok: false,
          reason: `'${userPath}' resolves through a symlink to ${real}, outside the workspace`,
        };
      current = real;
    } else {
      current = next;
    }
  }
  return { ok: true, absolute: current, workspace: ws };
}

export async function workspaceScope(
  workspace: string | undefined,
  userPath: string,
  purpose: 'read' | 'write',
): Promise<ScopeVerdict> {
  const r = await resolveInside(workspace, userPath, purpose);
  return r.ok ? { kind: 'inside' } : { kind: 'outside', reason: r.reason };
}
