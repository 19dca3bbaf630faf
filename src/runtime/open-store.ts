// Which store a runtime uses: the one it was given, else Postgres when a database URL is set (option or
// NIGHTSHIFT_DATABASE_URL), else the embedded SQLite file in the data dir.
import { resolveDataDir } from '../store/data-dir.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/types.js';
import type { RuntimeOptions } from './types.js';

/** The store, not yet initialised, and the embedded store's folder when the runtime opens that one. */
export async function openStore(
  options: RuntimeOptions,
): Promise<{ store: Store; dataDir: string | undefined }> {
  const env = options.env ?? process.env;
  const databaseUrl =
    options.databaseUrl ?? (options.store || options.dataDir ? undefined : env.NIGHTSHIFT_DATABASE_URL);
  // The embedded store's folder, when this runtime opens it: no role's workspace may contain it.
  const dataDir = options.store || databaseUrl ? undefined : resolveDataDir(options.dataDir);
  const store: Store =
    options.store ??
    (databaseUrl
      ? (await import('../store/postgres/index.js')).openPostgresStore({
          connectionString: databaseUrl,
          ...(env.NIGHTSHIFT_DATABASE_SCHEMA ? { schema: env.NIGHTSHIFT_DATABASE_SCHEMA } : {}),
        })
      : openSqliteStore({
          dataDir,
          backgroundCheckpoints: options.service === true,
        }));
  return { store, dataDir };
}
