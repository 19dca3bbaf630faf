// nightshift tool names (dotted) to provider-safe names and back.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toolNameMap } from '../../src/models/tool-names.js';

const SAFE = /^[a-zA-Z0-9_-]{1,64}$/;

describe('tool name mapping', () => {
  it('maps dotted names to provider-safe ones and back', () => {
    const map = toolNameMap(['fs.read', 'fs.write', 'ledger.append', 'a.b-c']);
    assert.equal(map.toProvider('fs.read'), 'fs_read');
    assert.equal(map.toProvider('ledger.append'), 'ledger_append');
    for (const n of ['fs.read', 'fs.write', 'ledger.append', 'a.b-c']) {
      assert.match(map.toProvider(n), SAFE);
      assert.equal(map.fromProvider(map.toProvider(n)), n);
    }
  });

  it('disambiguates names that collide once made safe', () => {
    const map = toolNameMap(['fs.read', 'fs_read', 'fs:read']);
    const provider = ['fs.read', 'fs_read', 'fs:read'].map((n) => map.toProvider(n));
    assert.deepEqual(provider, ['fs_read', 'fs_read_2', 'fs_read_3']);
    assert.equal(map.fromProvider('fs_read'), 'fs.read');
    assert.equal(map.fromProvider('fs_read_2'), 'fs_read');
    assert.equal(map.fromProvider('fs_read_3'), 'fs:read');
  });

  it('keeps long and odd names within the provider limit, still reversible', () => {
    const long = `mcp.${'x'.repeat(80)}.tool`;
    const names = [long, `${long}2`, 'ünïcode.tool', '...'];
    const map = toolNameMap(names);
    const provider = names.map((n) => map.toProvider(n));
    for (const p of provider) assert.match(p, SAFE);
    assert.equal(new Set(provider).size, names.length);
    for (const n of names) assert.equal(map.fromProvider(map.toProvider(n)), n);
  });

  it('leaves a name the model made up as it is, so the policy denies it by that name', () => {
    assert.equal(toolNameMap(['fs.read']).fromProvider('rm_rf'), 'rm_rf');
  });
});
