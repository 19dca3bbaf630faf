// A full disk for the embedded store's scenarios: a small tmpfs mounted over the data dir (root only),
// filled with one file until the file system says ENOSPC.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';

/** Why a full-disk scenario cannot run here (mounting a tmpfs needs root), or undefined when it can. */
export function cannotMount(): string | undefined {
  if (process.getuid?.() !== 0) return 'the full-disk scenarios mount a tmpfs and need root';
  return undefined;
}

/** Creates `dir` and mounts a tmpfs of `mb` megabytes on it; returns the unmount. */
export function mountTmpfs(dir: string, mb: number): () => void {
  mkdirSync(dir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mb}m`, 'tmpfs', dir]);
  // Lazy: a daemon killed a moment ago may still hold a file open on it.
  return () => execFileSync('umount', ['-l', dir]);
}

/** Writes zeros to `file` until the file system says it is full. */
export function fill(file: string): void {
  const fd = openSync(file, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}
