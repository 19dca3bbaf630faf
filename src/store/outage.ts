// Store failures that say the store cannot take writes for now (the database unreachable, the disk full)
// rather than that a write was wrong: the run is not at fault, and the same work succeeds once the
// outage ends. Workers wait and drive such runs again; HTTP answers 503 / 507 instead of 500.
// 'busy' (Postgres: a statement or lock timeout, or the pool's connections all in use) is the same for the
// run, which is driven again without using up an attempt, but no outage: the database answers, /readyz
// stays 200 and HTTP says STORE_BUSY rather than that the database could not be reached.
import { isNightshiftError } from '../errors.js';

// 'corrupt' (SQLite found the file damaged) lasts until the file is restored and the process restarted:
// runs are not failed for it, and every door answers 503 STORE_CORRUPT, recording nothing.
export type StoreOutage = 'disk_full' | 'unreachable' | 'busy' | 'corrupt';

export function storeOutageOf(err: unknown): StoreOutage | undefined {
  if (!isNightshiftError(err) || err.code !== 'STORE_ERROR') return undefined;
  if (err.details?.diskFull === true) return 'disk_full';
  if (err.details?.connectionLost === true) return 'unreachable';
  if (err.details?.storeBusy === true) return 'busy';
  if (err.details?.corrupt === true) return 'corrupt';
  return undefined;
}
