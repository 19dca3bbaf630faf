// A one-time browser login link for a person, backed by a token of its own that lives as long as a session
// may (listed and revocable as any token): what `nightshift token login-link` and `nightshift console` print.
import type { PeopleDirectory } from '../people/config.js';
import type { Store } from '../store/types.js';
import type { Scope } from './scopes.js';
import { createLoginLink, LOGIN_LINK_TTL_MS, SESSION_TTL_MS } from './session.js';
import { issueToken } from './tokens.js';

export async function issueLoginLink(
  store: Store,
  people: PeopleDirectory | undefined,
  o: { as: string; scopes: Scope[]; baseUrl: string },
): Promise<{ url: string; tokenId: string; expiresAt: number }> {
  const { token } = await issueToken(store, people, {
    kind: 'person',
    name: o.as,
    scopes: o.scopes,
    expiresAt: Date.now() + LOGIN_LINK_TTL_MS + SESSION_TTL_MS,
    label: 'login link',
  });
  const link = await createLoginLink(store, token.id);
  return {
    url: `${o.baseUrl.replace(/\/+$/, '')}/login/link/${link.secret}`,
    tokenId: token.id,
    expiresAt: link.expiresAt,
  };
}
