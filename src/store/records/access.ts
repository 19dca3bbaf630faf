// Records of who may use the doors of `serve` (src/auth/): access tokens, browser sessions and one-time
// login links. Only hashes of their secrets are kept: a copy of the store lets nobody in.

/** Who a token speaks for: a configured person (people: in nightshift.config.yaml) or a named service. */
export type PrincipalKind = 'person' | 'service';

export interface AccessTokenRecord {
  /** Public id (`tok_…`): shown by `token list`, named by `token revoke`. Not a secret. */
  id: string;
  /** sha256 (hex) of the token's secret; the secret itself is shown once and never stored. */
  hash: string;
  kind: PrincipalKind;
  name: string;
  /** Scope names (src/auth/scopes.ts), sorted. */
  scopes: string[];
  /** What the token is for (`login link`, or the --label given at create); not a secret. */
  label: string | null;
  createdAt: number;
  /** Refused from this time on; null: until revoked. */
  expiresAt: number | null;
  revokedAt: number | null;
}

/** A browser session: a cookie's secret, hashed, bound to the token it was opened with. */
export interface SessionRecord {
  /** sha256 (hex) of the cookie's secret. */
  hash: string;
  tokenId: string;
  createdAt: number;
  expiresAt: number;
  /** Set at logout; a session is also dead once its token is revoked or expired. */
  endedAt: number | null;
}

/** A one-time login link from the CLI: good once, until it expires, for the token it names. */
export interface LoginLinkRecord {
  /** sha256 (hex) of the link's secret. */
  hash: string;
  tokenId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}
