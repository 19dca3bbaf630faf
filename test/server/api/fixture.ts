// The roles, people and tokens the API tests share: a desk that drafts a file write (a change set to
// approve), a desk that escalates (a question to answer), alice who may decide both, mallory who may
// decide neither, a read-only token, and a service token.
import type { PeopleDirectory } from '../../../src/people/config.js';
import { ALL_SCOPES, type TokenSpec } from '../../support/api.js';
import { type TestRole, testRoles } from '../../support/roles.js';

const role = testRoles();
const done = { final: { summary: 'done' } };

export function apiRoles(): { drafting: TestRole; escalating: TestRole } {
  const drafting = role({
    name: 'desk-draft',
    autonomy: 'draft',
    ledgerTools: false,
    turns: [{ call: 'fs.write', args: { path: 'note.txt', content: 'hello' } }, done],
  });
  const escalating = role({
    name: 'desk-ask',
    autonomy: 'full',
    ledgerTools: false,
    turns: [{ escalate: { category: 'money', reason: 'refund of 250 asked' } }, done],
    extra: { triggers: [{ event: 'ticket' }] },
  });
  return { drafting, escalating };
}

export const people: PeopleDirectory = {
  people: [
    { name: 'alice', decides: ['desk-*'] },
    { name: 'mallory', decides: ['ops'] },
  ] as PeopleDirectory['people'],
  groups: {},
};

export const callers: Record<string, TokenSpec> = {
  'tok-alice': { name: 'alice', kind: 'person', scopes: ALL_SCOPES },
  'tok-mallory': { name: 'mallory', kind: 'person', scopes: ALL_SCOPES },
  'tok-reader': { name: 'alice', kind: 'person', scopes: ['runs:read'] },
  // A service token can never hold `decide` (src/auth/): an agent cannot decide for a person.
  'tok-bot': { name: 'ci-bot', kind: 'service', scopes: ['runs:read', 'events:send', 'operate'] },
  'tok-revoked': { name: 'alice', kind: 'person', scopes: ALL_SCOPES },
};
