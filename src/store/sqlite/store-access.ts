// The SQLite store's access tokens, sessions and login links (durable: a token shown or revoked must
// stay so). Methods of SqliteStore (store.ts), moved here by concept.
import * as access from '../sql/access.js';
import { sqliteDialect as d } from '../sql/dialect.js';
import type { AccessTokenRecord, LoginLinkRecord, SessionRecord } from '../types.js';
import { all, get, run } from './statements.js';
import type { SqliteIo } from './store-io.js';

export const accessMethods = {
  createToken(this: SqliteIo, token: AccessTokenRecord): Promise<void> {
    return this.write(`recording token ${token.id}`, (s) => void run(s, access.insertToken(d, token)), true);
  },

  getToken(this: SqliteIo, id: string): Promise<AccessTokenRecord | undefined> {
    return this.read(`reading token ${id}`, (s) => {
      const row = get(s, access.tokenById(d, id));
      return row ? access.toToken(d, row) : undefined;
    });
  },

  tokenByHash(this: SqliteIo, hash: string): Promise<AccessTokenRecord | undefined> {
    return this.read('looking up a token', (s) => {
      const row = get(s, access.tokenByHash(d, hash));
      return row ? access.toToken(d, row) : undefined;
    });
  },

  listTokens(this: SqliteIo): Promise<AccessTokenRecord[]> {
    return this.read('listing tokens', (s) => all(s, access.listTokens()).map((r) => access.toToken(d, r)));
  },

  revokeToken(this: SqliteIo, id: string, at: number): Promise<boolean> {
    return this.write(
      `revoking token ${id}`,
      (s) => run(s, access.revokeToken(d, id, at)).changes === 1,
      true,
    );
  },

  createSession(this: SqliteIo, session: SessionRecord): Promise<void> {
    return this.write('recording a session', (s) => void run(s, access.insertSession(d, session)), true);
  },

  sessionByHash(
    this: SqliteIo,
    hash: string,
  ): Promise<{ session: SessionRecord; token: AccessTokenRecord } | undefined> {
    return this.read('looking up a session', (s) => {
      const row = get(s, access.sessionByHash(d, hash));
      return row ? access.toSessionWithToken(d, row) : undefined;
    });
  },

  endSession(this: SqliteIo, hash: string, at: number): Promise<boolean> {
    return this.write('ending a session', (s) => run(s, access.endSession(d, hash, at)).changes === 1, true);
  },

  createLoginLink(this: SqliteIo, link: LoginLinkRecord): Promise<void> {
    return this.write('recording a login link', (s) => void run(s, access.insertLoginLink(d, link)), true);
  },

  useLoginLink(this: SqliteIo, hash: string, at: number): Promise<string | undefined> {
    return this.write(
      'using a login link',
      (s) => get(s, access.useLoginLink(d, hash, at))?.token_id as string | undefined,
      true,
    );
  },
};
