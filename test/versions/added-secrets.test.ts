// A run of a version this worker did not load may declare secrets the loaded role does not; one set
// nowhere in the process fails the run before its first step (SECRET_NOT_SET). Specialists count too, at
// any depth, each against the loaded role's specialist of the same name: a delegated run reads its own
// secrets in the same process.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Role } from '../../src/roles/schema.js';
import { assertAddedSecretsSet } from '../../src/runtime/promoted-secrets.js';

/** Only what the check reads of a role. */
const role = (name: string, version: string, secrets: string[], specialists?: Role[]): Role =>
  ({ name, version, secrets, specialists }) as unknown as Role;

/** Secrets set in this "process": only these. */
const SET = new Set(['CRM_TOKEN', 'OLD_KEY']);
const unset = (r: Role) => r.secrets.filter((s) => !SET.has(s));

function refusal(fn: () => void): { message: string; details: Record<string, unknown> } {
  try {
    fn();
  } catch (err) {
    const e = err as { code?: string; message: string; details?: Record<string, unknown> };
    assert.equal(e.code, 'SECRET_NOT_SET');
    return { message: e.message, details: e.details ?? {} };
  }
  assert.fail('expected SECRET_NOT_SET');
}

describe('secrets a promoted version adds', () => {
  const loaded = role('desk', 'v1', ['OLD_KEY'], [role('lookup', 's1', ['OLD_KEY'])]);

  it('passes the loaded version itself, and a version adding only secrets that are set', () => {
    assert.doesNotThrow(() => assertAddedSecretsSet(loaded, loaded, unset));
    assert.doesNotThrow(() =>
      assertAddedSecretsSet(role('desk', 'v2', ['OLD_KEY', 'CRM_TOKEN']), loaded, unset),
    );
  });

  it('refuses a version adding a secret set nowhere, naming it', () => {
    const r = refusal(() => assertAddedSecretsSet(role('desk', 'v2', ['OLD_KEY', 'NEW_KEY']), loaded, unset));
    assert.match(r.message, /role desk@v2 declares secret NEW_KEY/);
    assert.deepEqual(r.details.secrets, ['NEW_KEY']);
  });

  it('refuses a version whose specialist adds a secret set nowhere, naming the specialist', () => {
    const v2 = role('desk', 'v2', ['OLD_KEY'], [role('lookup', 's2', ['OLD_KEY', 'LOOKUP_KEY'])]);
    const r = refusal(() => assertAddedSecretsSet(v2, loaded, unset));
    assert.match(r.message, /specialist lookup of role desk@v2 declares secret LOOKUP_KEY/);
    assert.deepEqual([r.details.secrets, r.details.specialist], [['LOOKUP_KEY'], 'lookup']);
  });

  it('checks specialists at any depth, and a specialist the loaded role did not have at all', () => {
    const deep = role(
      'desk',
      'v3',
      ['OLD_KEY'],
      [
        role('lookup', 's1', ['OLD_KEY']),
        role('billing', 'b1', ['CRM_TOKEN'], [role('ledger', 'l1', ['LEDGER_KEY'])]),
      ],
    );
    const r = refusal(() => assertAddedSecretsSet(deep, loaded, unset));
    assert.match(r.message, /specialist billing → ledger of role desk@v3 declares secret LEDGER_KEY/);
    assert.equal(r.details.specialist, 'billing/ledger');
  });

  it('leaves a secret the loaded specialist declared too to the tool that needs it (as before)', () => {
    const loadedWithUnset = role('desk', 'v1', [], [role('lookup', 's1', ['LOOKUP_KEY'])]);
    const v2 = role('desk', 'v2', [], [role('lookup', 's2', ['LOOKUP_KEY'])]);
    assert.doesNotThrow(() => assertAddedSecretsSet(v2, loadedWithUnset, unset));
  });
});
