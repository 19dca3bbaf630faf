// A burst of requests with one token shares one read of it, but never a read sent before a request asked:
// a token revoked before a request is refused for that request. Real SQLite store; the reads counted.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { createAuthenticator, issueToken, revokeToken } from '../../src/auth/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../support/tmp.js';

const request = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } }) as IncomingMessage;

describe('token reads shared by a burst', () => {
  it('reads once for the requests of one turn, and sees a revocation made before a request asked', async () => {
    const tmp = tempDir('nightshift-auth-shared-');
    const store = openSqliteStore({ dataDir: tmp.path });
    await store.init();
    try {
      let reads = 0;
      const counted = Object.create(store) as typeof store;
      counted.tokenByHash = (hash) => {
        reads++;
        return store.tokenByHash(hash);
      };
      const auth = createAuthenticator({ store: counted, people: undefined });
      const { token, secret } = await issueToken(store, undefined, {
        kind: 'service',
        name: 'ci',
        scopes: ['events:send'],
        expiresAt: null,
      });
      const burst = await Promise.all(
        Array.from({ length: 50 }, () => auth.authenticate(request(secret), { scope: 'events:send' })),
      );
      assert.equal(burst.length, 50);
      assert.ok(burst.every((p) => p.tokenId === token.id));
      assert.equal(reads, 1, 'one read for the 50 requests of one turn');

      await revokeToken(store, token.id);
      await assert.rejects(auth.authenticate(request(secret)), { code: 'AUTH_REQUIRED' });
      assert.equal(reads, 2);
    } finally {
      await store.close();
      tmp.cleanup();
    }
  });
});
