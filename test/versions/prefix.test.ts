import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveVersionPrefix } from '../../src/versions/prefix.js';

const v = (name: string, version: string) => ({ name, version });
const of = (c: { version: string }) => c.version;

describe('naming a version by its hash or a unique prefix', () => {
  const candidates = [v('a', 'abc123'), v('a', 'abd456'), v('b', 'ffe001')];

  it('finds the whole hash and a prefix only one version starts with', () => {
    assert.deepEqual(resolveVersionPrefix(candidates, 'abc123', of), { kind: 'found', match: candidates[0] });
    assert.deepEqual(resolveVersionPrefix(candidates, 'ff', of), { kind: 'found', match: candidates[2] });
  });

  it('calls a prefix two versions start with ambiguous, listing both', () => {
    assert.deepEqual(resolveVersionPrefix(candidates, 'ab', of), {
      kind: 'ambiguous',
      matches: [candidates[0], candidates[1]],
    });
  });

  it('counts one hash stored for two roles as one version', () => {
    const shared = [v('a', 'abc123'), v('b', 'abc123')];
    assert.deepEqual(resolveVersionPrefix(shared, 'ab', of), { kind: 'found', match: shared[0] });
  });

  it('prefers a whole hash over a longer one it prefixes', () => {
    const nested = [v('a', 'abc'), v('a', 'abcd')];
    assert.deepEqual(resolveVersionPrefix(nested, 'abc', of), { kind: 'found', match: nested[0] });
  });

  it('names nothing with an empty name or an unknown prefix, even when only one version exists', () => {
    assert.deepEqual(resolveVersionPrefix([v('a', 'abc')], '', of), { kind: 'none' });
    assert.deepEqual(resolveVersionPrefix(candidates, 'zz', of), { kind: 'none' });
  });
});
