// How SQLite failures reach callers: our own NightshiftErrors pass through unchanged; anything from
// SQLite (SQLITE_BUSY, SQLITE_FULL, a constraint) becomes STORE_ERROR saying what was being done, where.
import { NightshiftError } from '../../errors.js';

export function storeError(path: string, what: string, err: unknown): NightshiftError {
  if (err instanceof NightshiftError) return err;
  const code = (err as { code?: unknown }).code;
  const hint =
    code === 'SQLITE_BUSY'
      ? ' (another process held the database lock for longer than the 5 s busy timeout; retry)'
      : '';
  return new NightshiftError(
    'STORE_ERROR',
    `SQLite store ${path}: ${what} failed: ${(err as Error).message}${hint}`,
    { cause: err, details: typeof code === 'string' ? { sqliteCode: code } : {} },
  );
}
