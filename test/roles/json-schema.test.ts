// A role's input schema is checked on what an event, a webhook or a caller sends, on the daemon's request
// path: its `pattern`s run on RE2, so a backtracking pattern cannot hold the process on hostile text.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileJsonSchema } from '../../src/roles/json-schema.js';

describe('JSON Schema patterns', () => {
  it('match in time linear in the text, whatever the pattern', () => {
    const validate = compileJsonSchema({
      type: 'object',
      properties: { email: { type: 'string', pattern: '^([a-z0-9]+)+@x$' } },
      patternProperties: { '^(a|a)+$': { type: 'number' } },
    });
    assert.equal(validate({ email: 'abc@x' }), true);
    // On JavaScript's engine 30 letters took 34 s of CPU; 40 would take hours.
    const started = performance.now();
    assert.equal(validate({ email: `${'a'.repeat(40)}!` }), false);
    assert.equal(validate({ [`${'a'.repeat(40)}!`]: 'not checked: the key does not match' }), true);
    assert.equal(validate({ aaaa: 'a string where a number is due' }), false);
    assert.ok(performance.now() - started < 2000, 'no backtracking');
    assert.match(JSON.stringify(validate.errors), /must be number/);
  });

  it('keep a pattern RE2 cannot run (a lookahead) on JavaScript’s engine, as JSON Schema allows it', () => {
    const validate = compileJsonSchema({ type: 'string', pattern: '^(?=.*\\d).{4,}$' });
    assert.equal(validate('abc1'), true);
    assert.equal(validate('abcd'), false);
  });

  it('refuse such a pattern, or a backreference, in a schema from an MCP server (untrusted), even in patternProperties', () => {
    for (const schema of [
      { type: 'string', pattern: '^(?=.*\\d).{4,}$' },
      { type: 'object', patternProperties: { '^(a)\\1$': { type: 'number' } } },
    ]) {
      assert.throws(() => compileJsonSchema(schema, { untrusted: true }), {
        message: /cannot run on RE2 .*; patterns from an MCP server may not use lookaround or backreferences/,
      });
      // The same schema object stays usable as the author's: the two are cached apart.
      assert.equal(typeof compileJsonSchema(schema), 'function');
    }
    // One RE2 runs is taken from a server as from the author.
    assert.equal(compileJsonSchema({ type: 'string', pattern: '^(a+)+$' }, { untrusted: true })('aaa'), true);
  });
});
