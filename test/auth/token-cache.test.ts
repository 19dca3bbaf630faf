// The authenticator's bearer-token cache (tokenCacheMs, which serve sets to 1 s): a revocation made
// elsewhere takes effect within the bound, expiry is judged on every request, and an unknown token is
// never remembered. A real SQLite store, a clock the test moves.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { createAuthenticator, issueToken, revokeToken } from '../../src/auth/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { tempDir } from '../support/tmp.js';

const asking = (secret: string) =>
  ({ method: 'POST', headers: { authorization: `Bearer ${secret}` } }) as unknown as IncomingMessage;

describe('bearer token cache', () => {
  const tmp = tempDir();
  let store: Store;
  let now = 1_000_000;
  const clock = { now: () => now };
  let reads = 0;
  before(async () => {
    store = openSqliteStore({ dataDir: tmp.path });
    await store.init();
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });
  const service = (name: string, expiresAt: number | null) =>
    issueToken(store, undefined, { kind: 'service', name, scopes: ['events:send'], expiresAt });
  // Counts the store's token reads, so "cached" is a fact the test sees, not a timing.
  const counted = (): Store =>
    new Proxy(store, {
      get(target, key) {
        if (key === 'tokenByHash')
          return (hash: string) => {
            reads++;
            return target.tokenByHash(hash);
          };
        const v = Reflect.get(target, key) as unknown;
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });

  it('reuses a token for tokenCacheMs, then sees its revocation', async () => {
    now = Date.now();
    const { token, secret } = await service('ci', null);
    const auth = createAuthenticator({ store: counted(), people: undefined, clock, tokenCacheMs: 1000 });
    reads = 0;
    assert.equal((await auth.authenticate(asking(secret), { scope: 'events:send' })).tokenId, token.id);
    await auth.authenticate(asking(secret), { scope: 'events:send' });
    assert.equal(reads, 1);
    await revokeToken(store, token.id);
    // Within the bound the cached record still answers; at the bound the store is read again.
    now += 999;
    await auth.authenticate(asking(secret));
    now += 1;
    await assert.rejects(auth.authenticate(asking(secret)), { code: 'AUTH_REQUIRED', message: /revoked/ });
    assert.equal(reads, 2);
  });

  it('judges expiry on every request, and never caches an unknown token', async () => {
    now = Date.now();
    const { secret } = await service('short', now + 10);
    const auth = createAuthenticator({ store: counted(), people: undefined, clock, tokenCacheMs: 60_000 });
    reads = 0;
    await auth.authenticate(asking(secret));
    now += 10;
    await assert.rejects(auth.authenticate(asking(secret)), { code: 'AUTH_REQUIRED', message: /expired/ });
    assert.equal(reads, 1);
    const unknown = `nst_${'A'.repeat(43)}`;
    for (let i = 0; i < 2; i++)
      await assert.rejects(auth.authenticate(asking(unknown)), { code: 'AUTH_REQUIRED' });
    assert.equal(reads, 3);
  });

  it('reads the store every time without tokenCacheMs', async () => {
    now = Date.now();
    const { token, secret } = await service('plain', null);
    const auth = createAuthenticator({ store: counted(), people: undefined, clock });
    await auth.authenticate(asking(secret));
    await revokeToken(store, token.id);
    await assert.rejects(auth.authenticate(asking(secret)), { code: 'AUTH_REQUIRED', message: /revoked/ });
  });
});
