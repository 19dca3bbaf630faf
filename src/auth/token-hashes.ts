// The sha256 of a bearer token, remembered for the tokens this daemon has recently found: a burst sends
// one token thousands of times, and hashing it again for each request showed in a Postgres burst worker's
// profile. Only the hash is remembered, never whether the token may be used: authenticate still reads the
// token's record on every request, so a revocation or an expiry takes effect on the next request.
import { boundedSet } from '../telemetry/bounded-map.js';
import { hashSecret } from './secret.js';

/** How many tokens' hashes are kept (a daemon's clients use a handful; past this the oldest goes). */
export const REMEMBERED_TOKEN_HASHES = 64;

export class TokenHashes {
  private readonly bySecret = new Map<string, string>();

  constructor(private readonly max = REMEMBERED_TOKEN_HASHES) {}

  /** The hash of `secret`, remembered or computed. */
  hash(secret: string): string {
    return this.bySecret.get(secret) ?? hashSecret(secret);
  }

  /**
   * Remembers `hash` for `secret`, once the store found a token by it: a client sending unknown tokens
   * cannot push the daemon's real clients' hashes out.
   */
  remember(secret: string, hash: string): void {
    boundedSet(this.bySecret, secret, hash, this.max);
  }

  get size(): number {
    return this.bySecret.size;
  }
}
