// The temporary folder of each case run (case-run.ts). An eval killed mid-case (`kill -9`, a crash, a
// machine out of memory) never reaches the `finally` that removes it, and the folder, a store and copies
// of the workspaces, stays in the temp dir. So each folder records the process that made it (host, pid,
// pid space: the lease owner format, engine/lease.ts), and a later eval removes the folders whose maker is
// a dead process of this host. Any other folder is left: a live maker's (another eval running now, or
// this one's own cases), one from another host or container sharing the folder, one without a readable
// record (being made this instant, or by an older version), one that is not a plain folder of this user.
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { holderIsDeadHere, newLeaseOwner } from '../engine/lease.js';

const PREFIX = 'nightshift-eval-';
/** The maker's record, written right after the folder is made. */
const MAKER = 'maker';

/** Makes a case folder under `root`, recording this process as its maker. */
export function makeCaseFolder(root: string): string {
  const dir = mkdtempSync(join(root, PREFIX));
  writeFileSync(join(dir, MAKER), `${newLeaseOwner()}\n`);
  return dir;
}

/**
 * Removes the case folders under `root` whose maker is a dead process of this host; returns their paths.
 * Best effort: a folder that cannot be read or removed is left as it is.
 */
export function sweepDeadCaseFolders(root: string): string[] {
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(PREFIX));
  } catch {
    return [];
  }
  const uid = process.getuid?.();
  const removed: string[] = [];
  for (const name of names) {
    const dir = join(root, name);
    try {
      // Not a symlink, and this user's: a shared temp dir may hold anyone's `nightshift-eval-*`.
      const stat = lstatSync(dir);
      if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) continue;
      const maker = readFileSync(join(dir, MAKER), 'utf8').trim();
      if (!maker || !holderIsDeadHere(maker)) continue;
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {}
  }
  return removed;
}
