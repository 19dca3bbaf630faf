// Reading the files a person writes for nightshift (role files, model scripts, eval suites,
// nightshift.config.yaml, a role's secrets file) with a size cap checked before the text is read: a
// 200 MB file given by mistake (a log, a dump) is refused at once, instead of being read whole and parsed.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The largest such file read: 1 MiB. The largest example role is under 4 KB and a scripted model of a few
 * hundred turns under 100 KB; anything near 1 MiB is not a file a person wrote. The same number bounds
 * HTTP bodies (docs/api.md), so there is one size to remember.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export type CappedText = { ok: true; text: string } | { ok: false; size: number | undefined };

/**
 * The file's text, or `ok: false` with its size when it is larger than `cap`. The size is looked at
 * first (fstat of the opened file, so it is the file read); then at most `cap + 1` bytes are read, so a
 * file that grew meanwhile, or one whose size says nothing (/dev/zero, a pipe), is refused too (`size`
 * is then undefined when the size is not known). Errors opening or reading it are thrown as Node's.
 */
export function readCappedText(file: string, cap: number = MAX_CONFIG_FILE_BYTES): CappedText {
  const fd = openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > cap) return { ok: false, size: stat.size };
    const buffer = Buffer.alloc(cap + 1);
    let filled = 0;
    while (filled < buffer.length) {
      const n = readSync(fd, buffer, filled, buffer.length - filled, null);
      if (n === 0) break;
      filled += n;
    }
    if (filled > cap) return { ok: false, size: stat.isFile() && stat.size > cap ? stat.size : undefined };
    return { ok: true, text: buffer.toString('utf8', 0, filled) };
  } finally {
    closeSync(fd);
  }
}

const bytes = (n: number) => n.toLocaleString('en-US');
const mib = (n: number) => `${(n / (1024 * 1024)).toFixed(1)} MiB`;

const CONFIG_FILES = 'role files, model scripts, eval suites, nightshift.config.yaml and secrets files';

/**
 * "is 62,915,484 bytes (60.0 MiB); nightshift reads role files, … of at most 1,048,576 bytes (1 MiB)".
 * `files` names the kind of file the cap is for (a run's input file, a tool module) when not a config file.
 */
export function tooLargeReason(
  size: number | undefined,
  cap: number = MAX_CONFIG_FILE_BYTES,
  files: string = CONFIG_FILES,
): string {
  const is = size === undefined ? `is over ${bytes(cap)} bytes` : `is ${bytes(size)} bytes (${mib(size)})`;
  return `${is}; nightshift reads ${files} of at most ${bytes(cap)} bytes (${mib(cap).replace('.0', '')})`;
}
