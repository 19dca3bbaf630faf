// The pure parts of src/auth: who may decide for which role, and the scope list (no wildcard).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  mayDecideFor,
  type Principal,
  parseExpiry,
  parseScopes,
  requireDecideFor,
} from '../../src/auth/index.js';
import type { PeopleDirectory } from '../../src/people/config.js';

const people: PeopleDirectory = {
  people: [
    { name: 'alice', decides: ['billing-*'] },
    { name: 'bob', decides: [] },
  ],
  groups: {},
};
const who = (o: Partial<Principal>): Principal => ({
  kind: 'person',
  name: 'alice',
  scopes: ['decide'],
  tokenId: 'tok_x',
  via: 'token',
  ...o,
});

describe('mayDecideFor', () => {
  const table: [string, Principal, string, PeopleDirectory | undefined, boolean][] = [
    ['a person allowed for the role', who({}), 'billing-eu', people, true],
    ['the same person, another role', who({}), 'ops', people, false],
    ['without the decide scope', who({ scopes: ['runs:read'] }), 'billing-eu', people, false],
    ['a service, even with decide', who({ kind: 'service', name: 'alice' }), 'billing-eu', people, false],
    ['a person with no decides', who({ name: 'bob' }), 'billing-eu', people, false],
    ['a name not in people:', who({ name: 'carol' }), 'billing-eu', people, false],
    ['no people configured', who({}), 'billing-eu', undefined, false],
    ['an empty people list', who({}), 'billing-eu', { people: [], groups: {} }, false],
  ];
  for (const [what, p, role, dir, expected] of table)
    it(`${expected ? 'allows' : 'refuses'} ${what}`, () => {
      assert.equal(mayDecideFor(p, role, dir), expected);
      if (expected) requireDecideFor(p, role, dir);
      else assert.throws(() => requireDecideFor(p, role, dir), { code: /AUTH_FORBIDDEN|PERSON_NOT_ALLOWED/ });
    });
});

describe('scopes and expiry', () => {
  it('parses repeated and comma-separated scopes, sorted, and refuses any other name', () => {
    assert.deepEqual(parseScopes(['runs:read,decide', 'operate', 'decide']), [
      'decide',
      'operate',
      'runs:read',
    ]);
    for (const bad of ['*', 'admin', 'runs:*']) assert.throws(() => parseScopes([bad]), { code: 'USAGE' });
  });
  it('reads never, durations and dates', () => {
    assert.equal(parseExpiry('never', 0), null);
    assert.equal(parseExpiry('12h', 1000), 1000 + 12 * 3_600_000);
    assert.equal(parseExpiry(undefined, 0), 90 * 86_400_000);
    assert.equal(parseExpiry('2030-01-02T00:00:00Z', 0), Date.parse('2030-01-02T00:00:00Z'));
    assert.throws(() => parseExpiry('soon', 0), { code: 'USAGE' });
  });
});
