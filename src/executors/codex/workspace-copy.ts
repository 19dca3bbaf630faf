// Draft autonomy for Codex: the session works on a copy of the workspace, and what it changed comes back
// as a change set (fs.write / fs.delete calls) that nightshift applies only after a human approves it.
import { cp, lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

export type FileChange =
  | { kind: 'write'; path: string; content: string }
  | { kind: 'delete'; path: string }
  /** A change fs tools cannot express (binary content, a symlink, a special file): reported, never applied. */
  | { kind: 'unsupported'; path: string; reason: string };

/** Copies the workspace (symlinks as symlinks, never followed out of it). */
export async function copyWorkspace(workspace: string, into: string): Promise<void> {
  await cp(workspace, into, { recursive: true, verbatimSymlinks: true, preserveTimestamps: true });
}

type Entry = { kind: 'file' | 'symlink' | 'other' };

async function walk(root: string): Promise<Map<string, Entry>> {
  const out = new Map<string, Entry>();
  const visit = async (dir: string, prefix: string): Promise<void> => {
    for (const item of await readdir(dir, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${item.name}` : item.name;
      if (item.isDirectory()) await visit(join(dir, item.name), rel);
      else out.set(rel, { kind: item.isFile() ? 'file' : item.isSymbolicLink() ? 'symlink' : 'other' });
    }
  };
  await visit(root, '');
  return out;
}

function utf8(bytes: Buffer): string | undefined {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? text : undefined;
}

/** What differs between the real workspace and the copy the session changed, in path order. */
export async function diffWorkspace(real: string, copy: string): Promise<FileChange[]> {
  const [before, after] = await Promise.all([walk(real), walk(copy)]);
  const changes: FileChange[] = [];
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const path of paths) {
    const was = before.get(path);
    const now = after.get(path);
    if (!now) {
      changes.push({ kind: 'delete', path });
      continue;
    }
    if (now.kind !== 'file') {
      if (!was || was.kind !== now.kind)
        changes.push({ kind: 'unsupported', path, reason: `a new ${now.kind}` });
      continue;
    }
    const bytes = await readFile(join(copy, path));
    if (was?.kind === 'file') {
      const old = await readFile(join(real, path));
      if (old.equals(bytes)) continue;
    } else if (was) {
      const st = await lstat(join(real, path));
      if (!st.isFile()) {
        changes.push({ kind: 'unsupported', path, reason: `replaces a ${was.kind} with a file` });
        continue;
      }
    }
    const content = utf8(bytes);
    if (content === undefined) changes.push({ kind: 'unsupported', path, reason: 'binary content' });
    else changes.push({ kind: 'write', path, content });
  }
  return changes;
}
