// A run input's or an answer's schema errors name where the value is wrong by its own keys, which the
// sender chose: a key holding a newline or a bidi control must not break or reorder the message (the
// events door and the API answer INPUT_INVALID with it; the CLI prints it).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateJson } from '../../src/engine/output.js';
import { checkRunInput } from '../../src/engine/start.js';
import type { Role } from '../../src/roles/schema.js';

const mapOfStrings = { type: 'object', additionalProperties: { type: 'string' } };

describe('schema errors quoting a key that was sent', () => {
  it('escape the controls of a key in the path, keeping the message one line', () => {
    const check = validateJson({ 'a\u202E\nb': 1, plain: 2 }, mapOfStrings);
    assert.equal(check.ok, false);
    const errors = (check as { errors: string[] }).errors;
    assert.ok(errors.includes('/a\\u202e\\u000ab must be string'), errors.join(' | '));
    for (const e of errors)
      assert.ok(![...e].some((c) => c < ' ' || c === '\u202E'), `raw control in ${JSON.stringify(e)}`);
  });

  it('leave a plain key as it is', () => {
    const check = validateJson({ plain: 2 }, mapOfStrings);
    assert.deepEqual(check, { ok: false, errors: ['/plain must be string'] });
  });

  it('reach the INPUT_INVALID message a run start throws', () => {
    const role = { name: 'r', input: mapOfStrings } as unknown as Role;
    assert.throws(
      () => checkRunInput(role, { 'x\r\ny': 3 }),
      (err: Error) =>
        err.message === 'input for role r does not match its input schema: /x\\u000d\\u000ay must be string',
    );
  });
});
