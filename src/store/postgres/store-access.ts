// The Postgres store's access tokens, sessions and login links. Methods of PostgresStore (store.ts), moved
// here by concept.
import * as access from '../sql/access.js';
import { postgresDialect as d } from '../sql/dialect.js';
import type { AccessTokenRecord, LoginLinkRecord, SessionRecord } from '../types.js';
import type { PostgresIo } from './store-io.js';

export const accessMethods = {
  async createToken(this: PostgresIo, token: AccessTokenRecord): Promise<void> {
    await this.run(`recording token ${token.id}`, access.insertToken(d, token));
  },

  async getToken(this: PostgresIo, id: string): Promise<AccessTokenRecord | undefined> {
    const [row] = await this.run(`reading token ${id}`, access.tokenById(d, id));
    return row ? access.toToken(d, row) : undefined;
  },

  async tokenByHash(this: PostgresIo, hash: string): Promise<AccessTokenRecord | undefined> {
    const [row] = await this.run('looking up a token', access.tokenByHash(d, hash));
    return row ? access.toToken(d, row) : undefined;
  },

  async listTokens(this: PostgresIo): Promise<AccessTokenRecord[]> {
    return (await this.run('listing tokens', access.listTokens())).map((r) => access.toToken(d, r));
  },

  async revokeToken(this: PostgresIo, id: string, at: number): Promise<boolean> {
    const q = access.revokeToken(d, id, at);
    return (await this.run(`revoking token ${id}`, { ...q, text: `${q.text} RETURNING id` })).length === 1;
  },

  async createSession(this: PostgresIo, session: SessionRecord): Promise<void> {
    await this.run('recording a session', access.insertSession(d, session));
  },

  async sessionByHash(
    this: PostgresIo,
    hash: string,
  ): Promise<{ session: SessionRecord; token: AccessTokenRecord } | undefined> {
    const [row] = await this.run('looking up a session', access.sessionByHash(d, hash));
    return row ? access.toSessionWithToken(d, row) : undefined;
  },

  async endSession(this: PostgresIo, hash: string, at: number): Promise<boolean> {
    const q = access.endSession(d, hash, at);
    return (await this.run('ending a session', { ...q, text: `${q.text} RETURNING hash` })).length === 1;
  },

  async createLoginLink(this: PostgresIo, link: LoginLinkRecord): Promise<void> {
    await this.run('recording a login link', access.insertLoginLink(d, link));
  },

  async useLoginLink(this: PostgresIo, hash: string, at: number): Promise<string | undefined> {
    const [row] = await this.run('using a login link', access.useLoginLink(d, hash, at));
    return row?.token_id as string | undefined;
  },
};
