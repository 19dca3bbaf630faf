// Reading the files a person writes for nightshift (role files, model scripts, eval suites,
// nightshift.config.yaml, a role's secrets file) with a size cap checked before the text is read: a
// 200 MB file given by mistake (a log, a dump) is refused at once, instead of being read whole and parsed.

import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

/**
 * The largest such file read: 1 MiB. The largest example role is under 4 KB and a scripted model of a few
 * hundred turns under 100 KB; anything near 1 MiB is not a file a person wrote. The same number bounds
 * HTTP bodies (docs/api.md), so there is one size to remember.
 */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

/** Where a file stops being UTF-8 text: the first byte of the first sequence that is not UTF-8. */
export interface NotUtf8 {
  /** 1-based, as an editor shows it; the column counts characters. */
  line: number;
  column: number;
  byte: number;
  /** The file starts with a UTF-16 byte order mark (saved as "Unicode" by some editors). */
  utf16: boolean;
}

export type CappedText =
  | { ok: true; text: string; notUtf8?: NotUtf8 | undefined }
  | { ok: false; size: number | undefined };

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const decodes = (bytes: Uint8Array, stream = false): boolean => {
  try {
    // A fresh decoder per try: a streaming decode keeps state in the decoder it ran on.
    (stream ? new TextDecoder('utf-8', { fatal: true }) : strictUtf8).decode(bytes, { stream });
    return true;
  } catch {
    return false;
  }
};

/**
 * Where `bytes` stop being UTF-8, or undefined when they are UTF-8 throughout. Found by bisection over
 * prefixes decoded in streaming mode (a prefix cut inside a character is not an error there), so the
 * answer is the decoder's own verdict, not a second, hand-written UTF-8 grammar.
 */
export function notUtf8(bytes: Uint8Array): NotUtf8 | undefined {
  if (decodes(bytes)) return undefined;
  // The longest prefix that is UTF-8 so far (possibly ending inside a character).
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (decodes(bytes.subarray(0, mid), true)) low = mid;
    else high = mid - 1;
  }
  // Back to where the bad sequence starts: the longest prefix that is whole UTF-8 characters.
  let start = low;
  while (start > Math.max(0, low - 3) && !decodes(bytes.subarray(0, start))) start--;
  const before = bytes.subarray(0, start);
  const lastNewline = before.lastIndexOf(0x0a);
  const line = before.reduce((n, b) => (b === 0x0a ? n + 1 : n), 1);
  const column = [...Buffer.from(before.subarray(lastNewline + 1)).toString('utf8')].length + 1;
  const utf16 = (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
  return { line, column, byte: bytes[start] ?? bytes[bytes.length - 1]!, utf16 };
}

/** "not UTF-8 text: byte 0xE9 at line 5, column 17 …", saying what to do. */
export function notUtf8Reason(where: NotUtf8): string {
  const what = where.utf16
    ? 'it is UTF-16 (it starts with a UTF-16 byte order mark)'
    : `byte 0x${where.byte.toString(16).toUpperCase().padStart(2, '0')} at line ${where.line}, column ${where.column} is not part of any UTF-8 character (saved as Latin-1 or Windows-1252?)`;
  return `not UTF-8 text: ${what}; nightshift reads it as UTF-8 and would change what it says: save it as UTF-8`;
}

/**
 * The file's text, or `ok: false` with its size when it is larger than `cap`. The size is looked at
 * first (fstat of the opened file, so it is the file read); then at most `cap + 1` bytes are read, so a
 * file that grew meanwhile, or one whose size says nothing (/dev/zero, a pipe), is refused too (`size`
 * is then undefined when the size is not known). Errors opening or reading it are thrown as Node's.
 */
export function readCappedText(file: string, cap: number = MAX_CONFIG_FILE_BYTES): CappedText {
  // A named pipe nothing writes to blocked open(2) for ever (`nightshift validate fifo.yaml` hung):
  // opened without blocking, it reads as empty (and is refused as such); a pipe being written to
  // (`<(cat role.yaml)`) is read as it comes.
  const fifo = isFifo(file);
  const fd = openSync(file, fifo ? constants.O_RDONLY | constants.O_NONBLOCK : 'r');
  try {
    const stat = fstatSync(fd);
    if (stat.isFile() && stat.size > cap) return { ok: false, size: stat.size };
    const buffer = Buffer.alloc(cap + 1);
    let filled = 0;
    while (filled < buffer.length) {
      let n: number;
      try {
        n = readSync(fd, buffer, filled, buffer.length - filled, null);
      } catch (err) {
        // A writer that has not written yet: wait a little for it, as a blocking read would.
        if (!fifo || (err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
        continue;
      }
      if (n === 0) break;
      filled += n;
    }
    if (filled > cap) return { ok: false, size: stat.isFile() && stat.size > cap ? stat.size : undefined };
    const bytes = buffer.subarray(0, filled);
    return { ok: true, text: bytes.toString('utf8'), notUtf8: notUtf8(bytes) };
  } finally {
    closeSync(fd);
  }
}

function isFifo(file: string): boolean {
  try {
    return statSync(file).isFIFO();
  } catch {
    return false; // open says why
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
