// Codex at draft works on a copy; the diff against the real workspace is the change set.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { copyWorkspace, diffWorkspace } from '../../src/executors/codex/workspace-copy.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-diff-');
after(() => tmp.cleanup());

describe('the diff of a drafted workspace', () => {
  it('lists written, added and deleted files; unchanged ones are left out', async () => {
    const real = join(tmp.path, 'real');
    const copy = join(tmp.path, 'copy');
    mkdirSync(join(real, 'sub'), { recursive: true });
    writeFileSync(join(real, 'same.txt'), 'same');
    writeFileSync(join(real, 'changed.txt'), 'old');
    writeFileSync(join(real, 'sub', 'gone.txt'), 'bye');
    symlinkSync('same.txt', join(real, 'link'));
    await copyWorkspace(real, copy);
    writeFileSync(join(copy, 'changed.txt'), 'new');
    writeFileSync(join(copy, 'added.txt'), 'hello');
    mkdirSync(join(copy, 'new', 'deep'), { recursive: true });
    writeFileSync(join(copy, 'new', 'deep', 'x.txt'), 'x');
    writeFileSync(join(copy, 'blob.bin'), Buffer.from([0xff, 0xfe, 0x00]));
    rmSync(join(copy, 'sub', 'gone.txt'));
    assert.deepEqual(await diffWorkspace(real, copy), [
      { kind: 'write', path: 'added.txt', content: 'hello' },
      { kind: 'unsupported', path: 'blob.bin', reason: 'binary content' },
      { kind: 'write', path: 'changed.txt', content: 'new' },
      { kind: 'write', path: 'new/deep/x.txt', content: 'x' },
      { kind: 'delete', path: 'sub/gone.txt' },
    ]);
  });
});
