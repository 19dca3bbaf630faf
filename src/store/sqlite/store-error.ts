// How SQLite failures reach callers: our own NightshiftErrors pass through unchanged; anything from
// SQLite (SQLITE_BUSY, SQLITE_FULL, a constraint) becomes STORE_ERROR saying what was being done, where.
// A full disk (SQLITE_FULL, or ENOSPC under an I/O error) is marked `diskFull`: callers wait for space
// instead of failing the run, and HTTP answers 507. A damaged file (SQLITE_CORRUPT, SQLITE_NOTADB) is
// marked `corrupt` and says what to do: nightshift never repairs or rewrites it.
import { NightshiftError } from '../../errors.js';

export function storeError(path: string, what: string, err: unknown): NightshiftError {
  if (NightshiftError.isInstance(err)) return err;
  const code = (err as { code?: unknown }).code;
  const diskFull = isDiskFull(err);
  const corrupt = isCorrupt(err);
  const hint =
    code === 'SQLITE_BUSY'
      ? ' (another process held the database lock for longer than the 5 s busy timeout; retry)'
      : diskFull
        ? ' (the disk holding the database is full: free space there; writes resume by themselves)'
        : corrupt
          ? ` (the database file is damaged: stop every process using it, keep a copy of ${path} and its -wal file, and restore a backup or recover it with sqlite3's .recover; nightshift does not repair or overwrite it)`
          : '';
  return new NightshiftError(
    'STORE_ERROR',
    `SQLite store ${path}: ${what} failed: ${(err as Error).message}${hint}`,
    {
      cause: err,
      details: {
        ...(typeof code === 'string' ? { sqliteCode: code } : {}),
        ...(diskFull ? { diskFull } : {}),
        ...(corrupt ? { corrupt } : {}),
      },
    },
  );
}

/** SQLite's "database or disk is full", including ENOSPC surfacing as SQLITE_IOERR_WRITE. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_FULL' || code === 'ENOSPC') return true;
  return (
    typeof code === 'string' &&
    code.startsWith('SQLITE_IOERR') &&
    /ENOSPC|disk is full/i.test(String((err as Error).message))
  );
}

/** SQLite found the file damaged (a malformed page, an index that disagrees) or not a database at all. */
export function isCorrupt(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB');
}
