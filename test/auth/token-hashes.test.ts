// A bearer token's hash is remembered (auth/token-hashes.ts), never whether it may be used: with its hash
// remembered, a token revoked or expired is refused on the very next request, an unknown token is not
// remembered, and no more than the bound are kept. Real SQLite store, the token records it really holds.
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { createAuthenticator, issueToken, revokeToken } from '../../src/auth/index.js';
import { hashSecret, newSecret } from '../../src/auth/secret.js';
import { REMEMBERED_TOKEN_HASHES, TokenHashes } from '../../src/auth/token-hashes.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../support/tmp.js';

const request = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } }) as IncomingMessage;

async function withStore(body: (store: ReturnType<typeof openSqliteStore>) => Promise<void>): Promise<void> {
  const tmp = tempDir('nightshift-token-hashes-');
  const store = openSqliteStore({ dataDir: tmp.path });
  await store.init();
  try {
    await body(store);
  } finally {
    await store.close();
    tmp.cleanup();
  }
}

const service = (name: string, expiresAt: number | null = null) =>
  ({ kind: 'service', name, scopes: ['events:send'], expiresAt }) as const;

describe('remembered token hashes', () => {
  it('remembers the hash of a token it found, and not of one it did not', async () => {
    await withStore(async (store) => {
      const hashes = new TokenHashes();
      const auth = createAuthenticator({ store, people: undefined, tokenHashes: hashes });
      const { token, secret } = await issueToken(store, undefined, service('ci'));
      assert.equal((await auth.authenticate(request(secret))).tokenId, token.id);
      assert.equal((await auth.authenticate(request(secret))).tokenId, token.id);
      assert.equal(hashes.size, 1);
      assert.equal(hashes.hash(secret), token.hash);
      await assert.rejects(auth.authenticate(request(newSecret('token'))), /not known here/);
      assert.equal(hashes.size, 1, 'an unknown token pushes nothing in');
    });
  });

  it('refuses a revoked token on the next request although its hash is remembered', async () => {
    await withStore(async (store) => {
      const hashes = new TokenHashes();
      const auth = createAuthenticator({ store, people: undefined, tokenHashes: hashes });
      const { token, secret } = await issueToken(store, undefined, service('ci'));
      await auth.authenticate(request(secret), { scope: 'events:send' });
      assert.equal(hashes.size, 1);
      await revokeToken(store, token.id);
      await assert.rejects(auth.authenticate(request(secret)), {
        code: 'AUTH_REQUIRED',
        message: new RegExp(`token ${token.id} is revoked`),
      });
    });
  });

  it('refuses an expired token although its hash is remembered', async () => {
    await withStore(async (store) => {
      let now = Date.UTC(2026, 11, 3, 7, 0);
      const clock = { now: () => now };
      const hashes = new TokenHashes();
      const auth = createAuthenticator({ store, people: undefined, clock, tokenHashes: hashes });
      const { token, secret } = await issueToken(store, undefined, service('ci', now + 60_000), clock);
      await auth.authenticate(request(secret));
      now += 59_999;
      await auth.authenticate(request(secret));
      assert.equal(hashes.size, 1);
      now += 1;
      await assert.rejects(auth.authenticate(request(secret)), {
        code: 'AUTH_REQUIRED',
        message: new RegExp(`token ${token.id} is expired`),
      });
    });
  });

  it(`keeps at most ${REMEMBERED_TOKEN_HASHES}, forgetting the oldest, and still authenticates a forgotten one`, async () => {
    await withStore(async (store) => {
      const hashes = new TokenHashes();
      const auth = createAuthenticator({ store, people: undefined, tokenHashes: hashes });
      const issued = [];
      for (let i = 0; i <= REMEMBERED_TOKEN_HASHES; i++)
        issued.push(await issueToken(store, undefined, service(`svc${i}`)));
      for (const { secret } of issued) await auth.authenticate(request(secret));
      assert.equal(hashes.size, REMEMBERED_TOKEN_HASHES);
      const first = issued[0]!;
      assert.equal((await auth.authenticate(request(first.secret))).tokenId, first.token.id);
      assert.equal(hashes.size, REMEMBERED_TOKEN_HASHES);
    });
  });

  it('computes the hash of a secret it has not remembered, and forgets the oldest past its bound', () => {
    const hashes = new TokenHashes(2);
    const [a, b, c] = [newSecret('token'), newSecret('token'), newSecret('token')];
    hashes.remember(a, 'remembered-a');
    hashes.remember(b, 'remembered-b');
    hashes.remember(c, 'remembered-c');
    assert.equal(hashes.size, 2);
    assert.equal(hashes.hash(a), hashSecret(a), 'the oldest was forgotten');
    assert.equal(hashes.hash(b), 'remembered-b');
    assert.equal(hashes.hash(c), 'remembered-c');
  });
});
