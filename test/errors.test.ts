// Errors are recognised by a marker, not by class identity: an error thrown by another copy of the module
// (a tool module loaded through tsx, a second install of the package) is still a NightshiftError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNightshiftError, NightshiftError, RoleInvalidError } from '../src/errors.js';

// A second, separate instance of the module: the same file under another URL, as a second copy would be.
const copy = (await import(`../src/errors.js?copy=${Date.now()}`)) as typeof import('../src/errors.js');

describe('NightshiftError.isInstance', () => {
  it('recognises an error from another copy of the class, where instanceof does not', () => {
    const foreign = new copy.NightshiftError('TOOL_FAILED', 'from the other copy');
    assert.equal(foreign instanceof NightshiftError, false, 'the copies really are different classes');
    assert.equal(NightshiftError.isInstance(foreign), true);
    assert.equal(isNightshiftError(foreign), true);
    assert.equal(copy.NightshiftError.isInstance(new NightshiftError('USAGE', 'ours')), true);
  });

  it('tells a RoleInvalidError from other NightshiftErrors, from any copy', () => {
    const issues = [{ path: 'autonomy', message: 'required' }];
    assert.equal(RoleInvalidError.isInstance(new copy.RoleInvalidError(issues)), true);
    assert.equal(NightshiftError.isInstance(new copy.RoleInvalidError(issues)), true);
    assert.equal(
      RoleInvalidError.isInstance(new NightshiftError('ROLE_INVALID', 'no issues attached')),
      false,
    );
  });

  it('says no to look-alikes: a plain Error, an object with a code, null', () => {
    assert.equal(NightshiftError.isInstance(new Error('plain')), false);
    assert.equal(NightshiftError.isInstance({ name: 'NightshiftError', code: 'USAGE', message: 'x' }), false);
    assert.equal(NightshiftError.isInstance(null), false);
    assert.equal(NightshiftError.isInstance('USAGE'), false);
  });

  it('keeps the marker out of the error own keys and its JSON', () => {
    const err = new NightshiftError('MODEL_ERROR', 'boom', { details: { status: 500 }, retryable: true });
    assert.deepEqual(Object.getOwnPropertySymbols(err), []);
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      name: 'NightshiftError',
      code: 'MODEL_ERROR',
      details: { status: 500 },
      retryable: true,
    });
  });
});

describe('NightshiftError.retryable', () => {
  it('is what the thrower said, and undefined when it said nothing', () => {
    assert.equal(new NightshiftError('MODEL_ERROR', 'x', { retryable: false }).retryable, false);
    assert.equal(new NightshiftError('MODEL_ERROR', 'x').retryable, undefined);
  });
});
