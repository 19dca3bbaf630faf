// The store's way into Postgres: the pool, one statement (`q`) or one transaction (`tx`), every failure
// turned into STORE_ERROR and reported to the reachability watcher (one log line per outage).
import { hostname } from 'node:os';
import pg from 'pg';
import { shownRaw } from '../../config/whole-number.js';
import { NightshiftError } from '../../errors.js';
import { ConnectionHealth, isConnectionFailure, type Sent } from './connection-health.js';
import { checkDatabaseUrl } from './database-url.js';
import { isStalePlan, preparedQuery, renamePreparedStatements } from './prepared.js';
import { type Row, types } from './rows.js';
import { storeError } from './store-error.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema holding nightshift's tables (created if missing). Default `nightshift`. */
  schema?: string;
  /**
   * Where `connectionString` and `schema` came from, named when one is refused (CONFIG_INVALID).
   * Default `connectionString` and `schema`; the runtime says NIGHTSHIFT_DATABASE_URL and
   * NIGHTSHIFT_DATABASE_SCHEMA for the values it took from them.
   */
  sources?: { connectionString?: string; schema?: string };
  /** Pool size. Default 10. */
  max?: number;
  /**
   * How long a query may wait for its answer before the connection counts as lost (a stalled network
   * sends no error). Default 30 s; a `query_timeout` parameter on the URL wins.
   */
  queryTimeoutMs?: number;
  /** How long opening a connection may take. Default 10 s. */
  connectTimeoutMs?: number;
  /**
   * How long a transaction may sit open with no statement running before Postgres ends its session (and
   * rolls it back, releasing its row locks). Default 30 s; 0 leaves the server's own setting; an
   * `idle_in_transaction_session_timeout` parameter on the URL wins.
   */
  idleInTransactionMs?: number;
  /**
   * False: `init` opens an existing store only: a schema without nightshift's tables is refused
   * (STORE_NOT_FOUND) and nothing (schema, table) is created. For the commands that only read or act on
   * what is stored. Default true.
   */
  create?: boolean;
  /**
   * True: `init` runs no migration and creates nothing (as `create: false`); a schema that needs a
   * migration is refused (STORE_ERROR). For the commands that only show what is stored, so a database user
   * with only SELECT rights can run them. Default false.
   */
  readOnly?: boolean;
}

export type Client = pg.PoolClient;

export class Database {
  readonly schema: string;
  /** Connection settings shared by the pool and the LISTEN connection. */
  readonly connection: pg.ClientConfig;
  readonly pool: pg.Pool;
  /**
   * Lease renewals only: run leases' (leases.ts) and continuous agents' heartbeats (agents.ts). A
   * renewal must not queue behind the commits and claims that fill `pool` (a slow database, many runs in
   * flight), or the leases of live runs lapse, other workers take them over and every call in flight
   * becomes an `unknown_outcome` for a person. Each kind is one statement per beat per process (decision
   * 045), so two connections are plenty; opened on first use.
   */
  readonly renewals: pg.Pool;
  /** Reachability: an outage is logged once and makes `/readyz` answer 503 until it ends. */
  readonly reachable = new ConnectionHealth();

  constructor(options: PostgresStoreOptions) {
    this.schema = options.schema ?? 'nightshift';
    // Checked before any connection, so a bad setting fails at once instead of looking like an outage.
    checkDatabaseUrl(options.connectionString, options.sources?.connectionString ?? 'connectionString');
    // Written into statements and search_path unquoted: plain lower-case names only.
    if (!/^[a-z_][a-z0-9_]*$/.test(this.schema))
      throw new NightshiftError(
        'CONFIG_INVALID',
        `${options.sources?.schema ?? 'schema'} '${shownRaw(this.schema)}' is not a valid Postgres schema name: lower-case letters, digits and _, not starting with a digit`,
      );
    // Every connection works in the nightshift schema (set at connection start, no extra round trip);
    // table names in queries stay unqualified.
    this.connection = {
      connectionString: options.connectionString,
      types,
      options: `-c search_path=${this.schema}`,
      // A cut connection errors at once, a stalled one never does: without these a worker would wait on
      // it forever. Keepalive probes find a peer that vanished while the connection sat idle.
      query_timeout: options.queryTimeoutMs ?? 30_000,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // A worker frozen inside a transaction (SIGSTOP, a VM stall) keeps its connection alive and its row
      // locks held: the worker that takes its runs over would block on them until it woke. Postgres ends
      // such a session after this long; the frozen worker's commit then fails, as its lease already would.
      idle_in_transaction_session_timeout: options.idleInTransactionMs ?? 30_000,
      // pg_stat_activity names the process holding each connection (PGAPPNAME or the URL's parameter wins).
      application_name: process.env.PGAPPNAME ?? `nightshift ${hostname()}/${process.pid}`,
    };
    this.pool = new pg.Pool({ ...this.connection, max: options.max ?? 10 });
    // An idle pooled connection that breaks (the database restarted, the network cut it) is an 'error'
    // event on the pool; unheard, Node would end the process. The pool has already dropped the
    // connection and opens a new one on the next query, so this only marks the outage.
    this.pool.on('error', (err) => {
      this.reachable.failed(err);
    });
    this.renewals = new pg.Pool({ ...this.connection, max: 2 });
    this.renewals.on('error', (err) => {
      this.reachable.failed(err);
    });
  }

  async end(): Promise<void> {
    await Promise.all([this.pool.end(), this.renewals.end()]);
  }

  /** Runs `fn` in one transaction on one pooled connection; `what` names it in errors. */
  async tx<T>(what: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const sent = this.reachable.sending();
    try {
      return await this.inTx(what, fn, sent);
    } finally {
      this.reachable.done(sent);
    }
  }

  private async inTx<T>(what: string, fn: (c: Client) => Promise<T>, sent: Sent): Promise<T> {
    let client: Client;
    try {
      client = await this.pool.connect();
    } catch (err) {
      this.reachable.failed(err, sent);
      // Not yet `what`: the connection itself failed (a read-only command said "migrating failed"). A
      // wait for a pooled connection that timed out is the busy pool's, not a connection's: named as before.
      throw storeError(isConnectionFailure(err) ? 'connecting' : what, err);
    }
    // A checked-out connection that breaks between two queries emits 'error' with no pool listener on
    // it; unheard, that would end the process. The next query on it fails and reports the loss.
    let broken: unknown;
    const onError = (err: unknown) => {
      broken = err;
    };
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      this.reachable.succeeded();
      client.removeListener('error', onError);
      client.release();
      return out;
    } catch (err) {
      const lost = this.reachable.failed(err, sent) || broken !== undefined;
      if (!lost) await client.query('ROLLBACK').catch(() => {});
      client.removeListener('error', onError);
      // A connection that broke (or timed out mid-statement) is dropped from the pool, not reused.
      client.release(lost ? (err as Error) : undefined);
      throw storeError(what, err);
    }
  }

  /**
   * Runs one statement (prepared: see prepared.ts) outside any transaction; `what` names it in errors.
   * `pool`: the lease renewals' own pool for them, the shared one otherwise.
   */
  async q(what: string, sql: string, params: unknown[] = [], pool: pg.Pool = this.pool): Promise<Row[]> {
    const sent = this.reachable.sending();
    try {
      return await this.statement(what, sql, params, pool, sent);
    } finally {
      this.reachable.done(sent);
    }
  }

  private async statement(
    what: string,
    sql: string,
    params: unknown[],
    pool: pg.Pool,
    sent: Sent,
  ): Promise<Row[]> {
    try {
      const rows = (await pool.query(preparedQuery(sql, params))).rows as Row[];
      this.reachable.succeeded();
      return rows;
    } catch (err) {
      if (isStalePlan(err)) {
        renamePreparedStatements();
        try {
          return (await pool.query(preparedQuery(sql, params))).rows as Row[];
        } catch (again) {
          this.reachable.failed(again, sent);
          throw storeError(what, again);
        }
      }
      this.reachable.failed(err, sent);
      throw storeError(what, err);
    }
  }
}
