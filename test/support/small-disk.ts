// A real small disk for the full-disk tests and fault rows: a tmpfs (8 MB unless asked) mounted on a temp
// folder (needs root). CI runs as root and must run those tests, so there a refused mount fails the file
// instead of skipping it.
import { spawnSync } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

export interface SmallDisk {
  dir: string;
  unmount(): void;
}

/** Mounts a tmpfs of `mb` megabytes; a string saying why when this process may not mount. */
export function mountSmallDisk(prefix = 'nightshift-disk-', mb = 8): SmallDisk | string {
  const tmp = tempDir(prefix);
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', tmp.path], { encoding: 'utf8' });
  if (r.status !== 0) {
    tmp.cleanup();
    return `mounting a tmpfs is not permitted here (${(r.stderr || r.error?.message || '').trim()}): run as root, as CI does`;
  }
  return {
    dir: tmp.path,
    unmount() {
      spawnSync('umount', ['-l', tmp.path]);
      tmp.cleanup();
    },
  };
}

/** The `skip` option for a suite that needs a small disk: false when one can be mounted. */
export function smallDiskSkip(): string | false {
  const probe = mountSmallDisk();
  if (typeof probe !== 'string') {
    probe.unmount();
    return false;
  }
  if (process.env.CI === 'true') throw new Error(`CI=true: ${probe}`);
  return probe;
}

/** Writes a file named `filler` in `dir` until the disk refuses more; returns its path (remove it to free). */
export function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return path;
}
