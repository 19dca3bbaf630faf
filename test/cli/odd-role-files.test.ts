// A role "file" that is not a regular file, through the CLI: a named pipe nothing writes to (open(2)
// blocked for ever: `validate fifo.yaml` hung), a folder, a symlink to /dev/zero. Each is exit 2 naming
// the file, and `run` writes no store.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-odd-files-');
after(() => tmp.cleanup());

describe('role files that are not regular files', () => {
  it('a fifo, a folder and /dev/zero: exit 2 naming the file, no hang, no store', async () => {
    const fifo = join(tmp.path, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const folder = join(tmp.path, 'folder.yaml');
    mkdirSync(folder);
    const zero = join(tmp.path, 'zero.yaml');
    symlinkSync('/dev/zero', zero);
    const cases: [string, RegExp][] = [
      [fifo, /fifo\.yaml:1:? expected a YAML mapping/],
      [folder, /folder\.yaml: is a directory/],
      [zero, /zero\.yaml is over 1,048,576 bytes/],
    ];
    const data = join(tmp.path, 'data');
    for (const [file, expected] of cases) {
      const v = await runCli(['validate', file]);
      assert.equal(v.code, 2, `${file}: ${v.stderr}`);
      assert.match(`${v.stdout}${v.stderr}`, expected);
      const r = await runCli(['run', file, '--data-dir', data]);
      assert.equal(r.code, 2, `${file}: ${r.stderr}`);
      assert.match(r.stderr, expected);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      assert.equal(existsSync(data), false);
    }
  });
});
