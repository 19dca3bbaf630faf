export type { SqliteStoreOptions } from './open.js';
export { openSqliteStore, SqliteStore } from './store.js';
