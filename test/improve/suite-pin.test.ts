// The improve loop's pin of the files a suite's cases name: an edit is seen through a link the case names
// (a case run copies what the link points at), not only in a file named directly.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Suite } from '../../src/evals/suite-file.js';
import { changedSince, pinSuite } from '../../src/improve/suite-pin.js';
import { tempDir } from '../support/tmp.js';

function suiteNaming(workspace: string, script: string): Suite {
  return { cases: [{ workspace, model: `script:${script}` }] } as unknown as Suite;
}

describe('the suite pin', () => {
  it('sees an edit behind a workspace or script the case names through a symlink', () => {
    const dir = tempDir('nightshift-suite-pin-').path;
    mkdirSync(join(dir, 'real-ws'));
    writeFileSync(join(dir, 'real-ws', 'a.txt'), 'one');
    writeFileSync(join(dir, 'real.script.yaml'), 'turns: []\n');
    symlinkSync(join(dir, 'real-ws'), join(dir, 'ws'));
    symlinkSync(join(dir, 'real.script.yaml'), join(dir, 's.yaml'));
    const pin = pinSuite(suiteNaming(join(dir, 'ws'), join(dir, 's.yaml')));
    assert.deepEqual(changedSince(pin), []);

    writeFileSync(join(dir, 'real-ws', 'a.txt'), 'two');
    assert.deepEqual(changedSince(pin), [join(dir, 'ws')]);
    writeFileSync(join(dir, 'real.script.yaml'), 'turns: [{ final: {} }]\n');
    assert.deepEqual(changedSince(pin), [join(dir, 'ws'), join(dir, 's.yaml')]);
  });
});
