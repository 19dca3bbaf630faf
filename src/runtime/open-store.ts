// Which store a runtime uses: the one it was given, else Postgres when a database URL is set (option or
// NIGHTSHIFT_DATABASE_URL), else the embedded SQLite file in the data dir.
import { resolveDataDir } from '../store/data-dir.js';
import { openSqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/types.js';
import type { RuntimeOptions } from './types.js';

type StoreChoice = Pick<RuntimeOptions, 'store' | 'databaseUrl' | 'dataDir' | 'env'>;

/** The Postgres URL the runtime connects to, if it opens Postgres. */
function databaseUrlOf(options: StoreChoice): string | undefined {
  const env = options.env ?? process.env;
  return options.databaseUrl ?? (options.store || options.dataDir ? undefined : env.NIGHTSHIFT_DATABASE_URL);
}

/**
 * The embedded store's folder, when these options open that one (no role's workspace may contain it):
 * undefined for a given store or Postgres. The CLI asks before opening anything.
 */
export function embeddedDataDir(options: StoreChoice): string | undefined {
  // NIGHTSHIFT_DATA_DIR from the same environment as NIGHTSHIFT_DATABASE_URL (options.env, else
  // process.env): a runtime given `env` took the URL from it but the data dir from process.env.
  return options.store || databaseUrlOf(options)
    ? undefined
    : resolveDataDir(options.dataDir, options.env ?? process.env);
}

/** The store, not yet initialised, and the embedded store's folder when the runtime opens that one. */
export async function openStore(
  options: RuntimeOptions,
): Promise<{ store: Store; dataDir: string | undefined }> {
  const env = options.env ?? process.env;
  const databaseUrl = databaseUrlOf(options);
  const dataDir = embeddedDataDir(options);
  const store: Store =
    options.store ??
    (databaseUrl
      ? (await import('../store/postgres/index.js')).openPostgresStore({
          connectionString: databaseUrl,
          ...(env.NIGHTSHIFT_DATABASE_SCHEMA ? { schema: env.NIGHTSHIFT_DATABASE_SCHEMA } : {}),
          sources: {
            connectionString: options.databaseUrl ? 'the databaseUrl option' : 'NIGHTSHIFT_DATABASE_URL',
            schema: 'NIGHTSHIFT_DATABASE_SCHEMA',
          },
          ...(options.createStore === false ? { create: false } : {}),
          ...(options.readOnly ? { readOnly: true } : {}),
        })
      : openSqliteStore({
          dataDir,
          backgroundCheckpoints: options.service === true,
          ...(options.createStore === false ? { create: false } : {}),
          ...(options.readOnly ? { readOnly: true } : {}),
        }));
  return { store, dataDir };
}
