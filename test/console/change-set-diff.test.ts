// What the inbox shows of a drafted file write or edit (docs/console.md, "How a drafted call is shown"):
// the real unified diff of the file in the workspace, scrubbed of the role's secret values; where there
// is no honest diff (the file was not read, the text to replace is absent or ambiguous, it overlaps a
// secret) the page says so beside the call instead of inventing a hunk. Read as a service token with
// runs:read reads it, over HTTP from a real `nightshift serve`.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { runCli, type Served, startServe } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-diff-shown-');
let served: Served | undefined;
after(async () => {
  if (served) {
    served.child.kill('SIGTERM');
    await served.done;
  }
  tmp.cleanup();
});

const SECRET = 'sk-SECRETVALUE-4d2e91';
const CONFIG = 'timeout = 30\nadmin = false\nretries = 3\naudit = false\n';

/** The page's text with tags dropped and entities read, as a person sees it (each paragraph on its lines). */
const text = (htmlText: string) =>
  htmlText
    .replace(/<\/p>|<pre[^>]*>/g, '\n')
    .replace(/<[^>]+>/g, '')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&quot;', '"')
    .replaceAll('&#39;', "'")
    .replaceAll('&amp;', '&');

describe('the inbox diff of a drafted write or edit', () => {
  it('is the real diff of the file, scrubbed of secrets, or says plainly why there is none', async () => {
    const dir = tmp.path;
    const ws = join(dir, 'ws');
    mkdirSync(ws);
    writeFileSync(join(dir, 'secrets.env'), `API_KEY=${SECRET}\n`);
    // As an earlier approved call could have left it: the secret's value in a workspace file.
    writeFileSync(join(ws, 'notes.txt'), `key=${SECRET}\n`);
    writeFileSync(join(ws, 'config.txt'), CONFIG);
    writeFileSync(join(ws, 'twice.txt'), CONFIG);
    writeFileSync(join(ws, 'token.txt'), `token=${SECRET}\n`);
    writeFileSync(join(ws, 'big.txt'), 'important line\n'.repeat(50_000)); // 750,000 bytes: 733 KiB
    const calls = [
      { tool: 'fs.write', args: { path: 'notes.txt', content: 'replaced\n' } },
      { tool: 'fs.edit', args: { path: 'config.txt', old: 'false', new: 'true', all: true } },
      { tool: 'fs.edit', args: { path: 'twice.txt', old: 'false', new: 'true' } },
      { tool: 'fs.edit', args: { path: 'config.txt', old: 'no such text', new: 'x' } },
      { tool: 'fs.write', args: { path: 'big.txt', content: 'small\n' } },
      { tool: 'fs.write', args: { path: 'fresh.txt', content: 'hello\n' } },
      { tool: 'fs.edit', args: { path: 'token.txt', old: 'SECRETVALUE', new: 'x' } },
      { tool: 'fs.edit', args: { path: 'absent.txt', old: 'a', new: 'b' } },
    ];
    writeFileSync(
      join(dir, 'script.yaml'),
      stringify({ turns: [{ calls }, { final: { summary: 'done' } }] }),
    );
    writeFileSync(
      join(dir, 'role.yaml'),
      stringify({
        name: 'drafter',
        description: 'drafts writes and edits',
        autonomy: 'draft',
        model: 'script:./script.yaml',
        instructions: 'Do what the script says.',
        tools: ['fs.write', 'fs.edit'],
        workspace: './ws',
        secrets: ['API_KEY'],
        secretsFile: './secrets.env',
      }),
    );
    const data = join(dir, 'data');
    const run = await runCli(['run', 'role.yaml', '--data-dir', data], { cwd: dir });
    assert.equal(run.code, 3, run.stderr);

    served = await startServe(['role.yaml', '--data-dir', data, '--port', '0'], { cwd: dir });
    const res = await fetch(`${served.url}/console/`, { headers: served.auth });
    const page = await res.text();
    assert.equal(res.status, 200, page);
    // Each drafted call's part of the page, in the order drafted (each opens with its tool's name).
    const parts = page.split('<p><code>fs.').slice(1).map(text);
    assert.equal(parts.length, calls.length, page);
    const [write, editAll, ambiguous, missing, big, fresh, overlap, absent] = parts as [
      string,
      string,
      string,
      string,
      string,
      string,
      string,
      string,
    ];

    // before: the file's text went into the diff as read, the secret's value in clear.
    assert.doesNotMatch(page, /SECRETVALUE-4d2e91/);
    assert.match(write, /^-key=\[secret API_KEY\]$/m);
    assert.match(write, /^\+replaced$/m);

    // before: only `old` against `new`, at a fixed "@@ -1,1 +1,1 @@", one line, all: true not shown.
    assert.match(editAll, /all: true: every occurrence of the text is replaced/);
    assert.match(editAll, /Replaces 2 occurrences/);
    assert.match(editAll, /^@@ -1,4 \+1,4 @@$/m);
    assert.match(editAll, /^-admin = false\n\+admin = true\n retries = 3\n-audit = false\n\+audit = true$/m);

    // before: a hunk replacing one "false" was shown for edits that fail.
    assert.match(ambiguous, /occurs 2 times in twice\.txt and all is not set: this call fails/);
    assert.match(missing, /The text to replace is not in config\.txt as it is now: this call fails/);
    assert.match(absent, /There is no absent\.txt in the workspace now: this call fails/);
    for (const part of [ambiguous, missing, absent]) assert.doesNotMatch(part, /@@/);

    // before: an edit of part of a secret's value showed the rest of it in the new line.
    assert.match(overlap, /overlaps a secret's value there; the change is not shown/);
    assert.doesNotMatch(overlap, /4d2e91|@@/);

    // before: a file over 512 KiB was diffed against nothing, "@@ -0,0 +1,1 @@", as if it were new.
    assert.match(
      big,
      /The file big\.txt was not read \(the file is 733 KiB, over the 512 KiB the console reads to diff\); not shown\. This call replaces it whole with the text below\./,
    );
    assert.match(big, /^\+small$/m);
    assert.doesNotMatch(big, /@@|New file/);

    // A file not there yet is said to be new, and diffed against nothing.
    assert.match(fresh, /New file: there is no fresh\.txt in the workspace now\./);
    assert.match(fresh, /^--- \/dev\/null$/m);
    assert.match(fresh, /^@@ -0,0 \+1(,1)? @@\n\+hello$/m);
  });
});
