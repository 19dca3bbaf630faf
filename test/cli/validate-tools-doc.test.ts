// docs/tools.md's own role-file text, through the real `nightshift validate`: the scope keys example at the
// top of the page is a valid role as written, and the bounds the page gives for `limits` are where
// validate draws them.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-tools-doc-');
after(() => tmp.cleanup());

/** The first ```yaml block of docs/tools.md ("Scope keys in the role file"), as the page shows it. */
function scopeKeysExample(): string {
  const doc = readFileSync(join(repoRoot, 'docs', 'tools.md'), 'utf8');
  const block = /```yaml\n([\s\S]*?)```/.exec(doc);
  assert.ok(block, 'docs/tools.md has a yaml block');
  return block[1]!;
}

/** A role file in its own folder: the header every role needs, then `body`; the files the example names. */
function roleFile(name: string, body: string, tools = 'fs.read'): string {
  const dir = join(tmp.path, name);
  mkdirSync(join(dir, 'workspace'), { recursive: true });
  writeFileSync(join(dir, 'script.yaml'), 'turns:\n  - final: { done: true }\n');
  writeFileSync(join(dir, 'secrets.env'), 'GITHUB_TOKEN=t\nSLACK_WEBHOOK_URL=https://hooks.slack.test/x\n');
  writeFileSync(join(dir, 'notes-server.mjs'), '');
  const file = join(dir, 'role.yaml');
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'description: from docs/tools.md',
      'autonomy: sandbox',
      'model: script:./script.yaml',
      'instructions: do it',
      `tools: [${tools}]`,
      body,
    ].join('\n'),
  );
  return file;
}

describe('docs/tools.md role-file text', () => {
  it('the scope keys example is a valid role as written', async () => {
    const tools =
      'fs.read, shell.exec, http.fetch, notify.slack, notify.email, notify.webhook, notes.list_notes';
    const v = await runCli(['validate', roleFile('scope-keys', scopeKeysExample(), tools)]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /role\.yaml: ok/);
  });

  it("takes limits up to the page's bounds and refuses one past them, or not above 0, naming each", async () => {
    const at = await runCli([
      'validate',
      roleFile(
        'limits-at',
        'workspace: ./workspace\nlimits: { execSeconds: 3600, execOutputBytes: 16777216, fetchSeconds: 600, fetchBytes: 67108864 }',
      ),
    ]);
    assert.equal(at.code, 0, at.stderr);
    const past = await runCli([
      'validate',
      roleFile(
        'limits-past',
        'workspace: ./workspace\nlimits: { execSeconds: 3601, execOutputBytes: 16777217, fetchSeconds: 0, fetchBytes: 67108865 }',
      ),
    ]);
    assert.equal(past.code, 2, past.stderr);
    assert.match(past.stderr, /limits\.execSeconds: expected a number <= 3600, got 3601/);
    assert.match(past.stderr, /limits\.execOutputBytes: expected a number <= 16777216, got 16777217/);
    assert.match(past.stderr, /limits\.fetchSeconds: expected a number > 0, got 0/);
    assert.match(past.stderr, /limits\.fetchBytes: expected a number <= 67108864, got 67108865/);
  });
});
