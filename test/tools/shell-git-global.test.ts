// git run by shell.exec reads no configuration outside the repository: HOME is /tmp for commands, which an
// unsandboxed role shares between calls and can write (`git checkout-index --prefix=/tmp/ .gitconfig`), and
// the check before each git call reads only the repository's own configuration (git-config-scan.ts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { execIn, unsandboxedRole, withoutBubblewrap } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-git-global-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(ws);

describe('git under shell.exec', () => {
  it("does not read the per-user configuration under the commands' HOME (/tmp)", async () => {
    // The HOME shell.exec gives commands; the XDG file git reads beside $HOME/.gitconfig.
    const dirs = ['/tmp/.config', '/tmp/.config/git'];
    const made = dirs.filter((d) => !existsSync(d));
    for (const d of made) mkdirSync(d);
    const global = '/tmp/.config/git/config';
    const marker = join(tmp.path, 'ran');
    const script = join(tmp.path, 'external.sh');
    writeFileSync(script, `#!/bin/sh\ntouch '${marker}'\n`, { mode: 0o755 });
    writeFileSync(join(tmp.path, 'external.inc'), `[diff]\n\texternal = ${script}\n`);
    // Only this test's repository takes it (includeIf), so another git on the machine is not disturbed.
    // `wx`: an existing file there is not someone else's to overwrite; the test fails instead.
    writeFileSync(global, `[includeIf "gitdir:${ws}/"]\n\tpath = ${join(tmp.path, 'external.inc')}\n`, {
      flag: 'wx',
    });
    try {
      const git = (...args: string[]) =>
        execFileSync('git', args, { cwd: ws, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent' } });
      git('init', '-q', '.');
      writeFileSync(join(ws, 'a.txt'), 'alpha\n');
      git('add', 'a.txt');
      writeFileSync(join(ws, 'a.txt'), 'beta\n');
      const role = unsandboxedRole('git-global', ['git'], tmp.path);
      const { verdict, result } = await withoutBubblewrap(() =>
        execIn(role, { command: 'git', args: ['diff'] }),
      );
      assert.equal(verdict.kind, 'inside', JSON.stringify(verdict));
      assert.equal(result?.sandbox, 'none');
      assert.equal(result?.exitCode, 0, result?.stderr);
      assert.equal(existsSync(marker), false, 'diff.external from /tmp/.config/git/config ran');
      // git's own diff ran instead.
      assert.match(result?.stdout ?? '', /^-alpha\n\+beta$/m);
    } finally {
      rmSync(global, { force: true });
      for (const d of made.reverse()) rmdirSync(d);
    }
  });
});
