// The access part of the Store contract, for both stores: tokens are found by the hash of their secret
// and never hold the secret, revoking is once, a session comes back with its token (so a revoked token's
// session is seen as such), and a login link is used exactly once, before it expires, even when raced.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { hashSecret, issueToken } from '../../src/auth/index.js';
import { createLoginLink, openSession, useLoginLink } from '../../src/auth/session.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import type { Store } from '../../src/store/types.js';
import type { StoreFixture } from './store.js';

const people: PeopleDirectory = {
  people: [{ name: 'alice', decides: ['billing-*'] }],
  groups: {},
};

export function describeAccessContract(name: string, open: () => Promise<StoreFixture>): void {
  describe(`Store contract (access tokens): ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    before(async () => {
      fx = await open();
      store = fx.store;
      await store.init();
    });
    after(async () => {
      await store.close();
      await fx.cleanup();
    });

    it('finds a token by the hash of its secret, and stores no secret', async () => {
      const { token, secret } = await issueToken(store, people, {
        kind: 'person',
        name: 'alice',
        scopes: ['runs:read', 'decide'],
        expiresAt: Date.now() + 60_000,
        label: 'läbel "quoted"',
      });
      assert.match(secret, /^nst_[A-Za-z0-9_-]{43}$/);
      assert.deepEqual(await store.tokenByHash(hashSecret(secret)), token);
      assert.deepEqual(await store.getToken(token.id), token);
      assert.equal(await store.tokenByHash(hashSecret(`${secret}x`)), undefined);
      const listed = await store.listTokens();
      assert.ok(listed.some((t) => t.id === token.id));
      assert.ok(!JSON.stringify(listed).includes(secret.slice(4)));
    });

    it('refuses a second token with the same hash (nothing overwritten)', async () => {
      const { token } = await issueToken(store, people, {
        kind: 'service',
        name: 'ci-bot',
        scopes: ['events:send'],
        expiresAt: null,
      });
      await assert.rejects(store.createToken({ ...token, id: 'tok_other' }));
      assert.equal(await store.getToken('tok_other'), undefined);
      assert.deepEqual(await store.getToken(token.id), token);
    });

    it('revokes once', async () => {
      const { token } = await issueToken(store, people, {
        kind: 'service',
        name: 'svc',
        scopes: ['runs:read'],
        expiresAt: null,
      });
      assert.equal(await store.revokeToken(token.id, 5000), true);
      assert.equal(await store.revokeToken(token.id, 6000), false);
      assert.equal(await store.revokeToken('tok_unknown', 6000), false);
      assert.equal((await store.getToken(token.id))?.revokedAt, 5000);
    });

    it('returns a session with its token, whose revocation it then shows; ends a session once', async () => {
      const { token } = await issueToken(store, people, {
        kind: 'person',
        name: 'alice',
        scopes: ['runs:read'],
        expiresAt: Date.now() + 3_600_000,
      });
      const s = await openSession(store, token);
      const found = await store.sessionByHash(hashSecret(s.secret));
      assert.equal(found?.token.id, token.id);
      assert.equal(found?.session.expiresAt, s.expiresAt);
      assert.equal(found?.session.endedAt, null);
      await store.revokeToken(token.id, 7000);
      assert.equal((await store.sessionByHash(hashSecret(s.secret)))?.token.revokedAt, 7000);
      assert.equal(await store.endSession(hashSecret(s.secret), 8000), true);
      assert.equal(await store.endSession(hashSecret(s.secret), 9000), false);
      assert.equal((await store.sessionByHash(hashSecret(s.secret)))?.session.endedAt, 8000);
      assert.equal(await store.sessionByHash(hashSecret('nss_nothing')), undefined);
    });

    it('uses a login link exactly once, even when two uses race, and never after it expires', async () => {
      const { token } = await issueToken(store, people, {
        kind: 'person',
        name: 'alice',
        scopes: ['runs:read'],
        expiresAt: null,
      });
      const link = await createLoginLink(store, token.id);
      const results = await Promise.allSettled([
        useLoginLink(store, link.secret),
        useLoginLink(store, link.secret),
      ]);
      assert.deepEqual(
        results.map((r) => r.status).sort(),
        ['fulfilled', 'rejected'],
        'one use wins, the other is refused',
      );
      assert.equal(results.find((r) => r.status === 'fulfilled')?.value, token.id);
      await assert.rejects(useLoginLink(store, link.secret), { code: 'AUTH_REQUIRED' });
      const old = await createLoginLink(store, token.id, { now: () => 1000 }, 60_000);
      await assert.rejects(useLoginLink(store, old.secret), { code: 'AUTH_REQUIRED' });
      assert.equal(
        await store.useLoginLink(hashSecret(old.secret), 2000),
        token.id,
        'it was good before it expired',
      );
    });
  });
}
