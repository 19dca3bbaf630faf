// nightshift tool names (dotted) to provider-safe names and back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { PROVIDER_TOOL_NAME, toolNameMap } from '../../src/models/tool-names.js';

describe('tool name mapping', () => {
  it('maps dotted names to provider-safe ones and back', () => {
    const names = ['fs.read', 'fs.write', 'ledger.append', 'a.b-c', 'mcp.notes.search'];
    const map = toolNameMap(names);
    assert.equal(map.toProvider('fs.read'), 'fs_read');
    assert.equal(map.toProvider('ledger.append'), 'ledger_append');
    assert.equal(map.toProvider('mcp.notes.search'), 'mcp_notes_search');
    for (const n of names) {
      assert.match(map.toProvider(n), PROVIDER_TOOL_NAME);
      assert.equal(map.fromProvider(map.toProvider(n)), n);
    }
  });

  it('keeps a name that is already safe, and moves the one that collides with it aside', () => {
    const map = toolNameMap(['fs.read', 'fs_read', 'fs:read', 'escalate']);
    assert.deepEqual(
      ['fs.read', 'fs_read', 'fs:read', 'escalate'].map((n) => map.toProvider(n)),
      ['fs_read_2', 'fs_read', 'fs_read_3', 'escalate'],
    );
    assert.equal(map.fromProvider('fs_read'), 'fs_read');
    assert.equal(map.fromProvider('fs_read_2'), 'fs.read');
    assert.equal(map.fromProvider('fs_read_3'), 'fs:read');
  });

  it('keeps long and odd names within the provider limit, still reversible', () => {
    const long = `mcp.${'x'.repeat(80)}.tool`;
    const names = [long, `${long}2`, 'ünïcode.tool', '...', 'a'.repeat(64)];
    const map = toolNameMap(names);
    const provider = names.map((n) => map.toProvider(n));
    for (const p of provider) assert.match(p, PROVIDER_TOOL_NAME);
    assert.equal(new Set(provider).size, names.length);
    for (const n of names) assert.equal(map.fromProvider(map.toProvider(n)), n);
  });

  it('is safe, distinct and reversible for any set of names', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.string({ minLength: 1, maxLength: 80 }), { maxLength: 30 }), (names) => {
        const map = toolNameMap(names);
        const provider = names.map((n) => map.toProvider(n));
        for (const p of provider) assert.match(p, PROVIDER_TOOL_NAME);
        assert.equal(new Set(provider).size, names.length);
        for (const n of names) assert.equal(map.fromProvider(map.toProvider(n)), n);
      }),
    );
  });

  it('leaves a name the model made up as it is, so the policy denies it by that name', () => {
    assert.equal(toolNameMap(['fs.read']).fromProvider('rm_rf'), 'rm_rf');
  });
});
