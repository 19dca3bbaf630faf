// Access tokens, browser sessions and one-time login links, for both stores (see dialect.ts). Rows are
// looked up by the sha256 of a secret; every state check (revoked, expired, used) is the caller's or, for
// the one-time link, part of the single UPDATE that uses it, so two uses cannot both succeed.
import type { AccessTokenRecord, LoginLinkRecord, SessionRecord } from '../types.js';
import type { Dialect, Query } from './dialect.js';

const ps = (d: Dialect, n: number) => Array.from({ length: n }, (_, i) => d.param(i + 1)).join(', ');

const TOKEN_COLUMNS = 'id, hash, kind, name, scopes, label, created_at, expires_at, revoked_at';

export function insertToken(d: Dialect, t: AccessTokenRecord): Query {
  return {
    text: `INSERT INTO access_tokens (${TOKEN_COLUMNS}) VALUES (${ps(d, 9)})`,
    params: [
      t.id,
      t.hash,
      t.kind,
      t.name,
      JSON.stringify(t.scopes),
      t.label,
      t.createdAt,
      t.expiresAt,
      t.revokedAt,
    ],
  };
}

export function tokenById(d: Dialect, id: string): Query {
  return { text: `SELECT * FROM access_tokens WHERE id = ${d.param(1)}`, params: [id] };
}

export function tokenByHash(d: Dialect, hash: string): Query {
  return { text: `SELECT * FROM access_tokens WHERE hash = ${d.param(1)}`, params: [hash] };
}

export function listTokens(): Query {
  return { text: 'SELECT * FROM access_tokens ORDER BY created_at DESC, id DESC', params: [] };
}

export function revokeToken(d: Dialect, id: string, at: number): Query {
  return {
    text: `UPDATE access_tokens SET revoked_at = ${d.param(1)} WHERE id = ${d.param(2)} AND revoked_at IS NULL`,
    params: [at, id],
  };
}

export function insertSession(d: Dialect, s: SessionRecord): Query {
  return {
    text: `INSERT INTO auth_sessions (hash, token_id, created_at, expires_at, ended_at) VALUES (${ps(d, 5)})`,
    params: [s.hash, s.tokenId, s.createdAt, s.expiresAt, s.endedAt],
  };
}

/** The session with its token's columns prefixed `t_` (one round trip per request). */
export function sessionByHash(d: Dialect, hash: string): Query {
  return {
    text: `SELECT s.*, t.id AS t_id, t.hash AS t_hash, t.kind AS t_kind, t.name AS t_name, t.scopes AS t_scopes,
        t.label AS t_label, t.created_at AS t_created_at, t.expires_at AS t_expires_at, t.revoked_at AS t_revoked_at
      FROM auth_sessions s JOIN access_tokens t ON t.id = s.token_id WHERE s.hash = ${d.param(1)}`,
    params: [hash],
  };
}

export function endSession(d: Dialect, hash: string, at: number): Query {
  return {
    text: `UPDATE auth_sessions SET ended_at = ${d.param(1)} WHERE hash = ${d.param(2)} AND ended_at IS NULL`,
    params: [at, hash],
  };
}

export function insertLoginLink(d: Dialect, l: LoginLinkRecord): Query {
  return {
    text: `INSERT INTO login_links (hash, token_id, created_at, expires_at, used_at) VALUES (${ps(d, 5)})`,
    params: [l.hash, l.tokenId, l.createdAt, l.expiresAt, l.usedAt],
  };
}

/** Marks the link used, only if unused and unexpired; RETURNING its token id (no row: refused). */
export function useLoginLink(d: Dialect, hash: string, at: number): Query {
  return {
    text: `UPDATE login_links SET used_at = ${d.param(1)}
      WHERE hash = ${d.param(2)} AND used_at IS NULL AND expires_at > ${d.param(3)} RETURNING token_id`,
    params: [at, hash, at],
  };
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export function toToken(d: Dialect, r: Record<string, unknown>, prefix = ''): AccessTokenRecord {
  return {
    id: r[`${prefix}id`] as string,
    hash: r[`${prefix}hash`] as string,
    kind: r[`${prefix}kind`] as AccessTokenRecord['kind'],
    name: r[`${prefix}name`] as string,
    scopes: d.decodeJson(r[`${prefix}scopes`]) as string[],
    label: (r[`${prefix}label`] as string | null) ?? null,
    createdAt: Number(r[`${prefix}created_at`]),
    expiresAt: num(r[`${prefix}expires_at`]),
    revokedAt: num(r[`${prefix}revoked_at`]),
  };
}

export function toSessionWithToken(
  d: Dialect,
  r: Record<string, unknown>,
): { session: SessionRecord; token: AccessTokenRecord } {
  return {
    session: {
      hash: r.hash as string,
      tokenId: r.token_id as string,
      createdAt: Number(r.created_at),
      expiresAt: Number(r.expires_at),
      endedAt: num(r.ended_at),
    },
    token: toToken(d, r, 't_'),
  };
}
