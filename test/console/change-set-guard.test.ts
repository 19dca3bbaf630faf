// The console diffs a drafted write against the file as it is in the workspace. The agent chooses that
// path: a fifo there blocked each inbox page forever (and, four pages later, every file read of the
// daemon, on libuv's exhausted thread pool); a hard link to a file outside showed its content to whoever
// opened the page. The file is read through the fs tools' guard instead.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runCli, type Served, startServe } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-diff-guard-');
let served: Served | undefined;
after(async () => {
  if (served) {
    served.child.kill('SIGTERM');
    await served.done;
  }
  tmp.cleanup();
});

describe('the inbox diff of a drafted write', () => {
  it('does not read a fifo or a hard-linked file, and says so; diffs a plain file as it is; the page answers every time', async () => {
    const dir = tmp.path;
    const ws = join(dir, 'ws');
    mkdirSync(ws);
    execFileSync('mkfifo', [join(ws, 'pipe.txt')]);
    writeFileSync(join(dir, 'outside.txt'), 'OUTSIDE-CONTENT-7f3a\n');
    linkSync(join(dir, 'outside.txt'), join(ws, 'linked.txt'));
    writeFileSync(join(ws, 'plain.txt'), 'OLD-LINE-91c2\n');
    writeFileSync(
      join(dir, 'script.yaml'),
      stringify({
        turns: [
          {
            calls: [
              { tool: 'fs.write', args: { path: 'pipe.txt', content: 'new\n' } },
              { tool: 'fs.write', args: { path: 'linked.txt', content: 'new\n' } },
              { tool: 'fs.write', args: { path: 'plain.txt', content: 'new\n' } },
            ],
          },
          { final: { summary: 'done' } },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'role.yaml'),
      stringify({
        name: 'drafter',
        description: 'drafts writes',
        autonomy: 'draft',
        model: 'script:./script.yaml',
        instructions: 'Do what the script says.',
        tools: ['fs.write'],
        workspace: './ws',
      }),
    );
    const data = join(dir, 'data');
    const run = await runCli(['run', 'role.yaml', '--data-dir', data], { cwd: dir });
    assert.equal(run.code, 3, run.stderr);

    served = await startServe(['role.yaml', '--data-dir', data, '--port', '0'], { cwd: dir });
    // More pages than libuv has threads: a blocked read would hold one each.
    for (let i = 0; i < 6; i++) {
      const res = await fetch(`${served.url}/console/`, {
        headers: served.auth,
        signal: AbortSignal.timeout(5000),
      });
      const page = await res.text();
      assert.equal(res.status, 200, page);
      assert.match(page, /pipe\.txt/);
      assert.match(page, /linked\.txt/);
      assert.doesNotMatch(page, /OUTSIDE-CONTENT-7f3a/);
      // Said beside each, not shown as a new file.
      assert.match(page, /The file <code>pipe\.txt<\/code> was not read \(&#39;pipe\.txt&#39; is a fifo/);
      assert.match(
        page,
        /The file <code>linked\.txt<\/code> was not read \(&#39;linked\.txt&#39; has 2 hard links/,
      );
      // A plain file is still diffed against what it holds now.
      assert.match(page, /-OLD-LINE-91c2/);
    }
  });
});
