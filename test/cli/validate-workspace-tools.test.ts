// `nightshift validate` from outside: a role that lists a workspace tool (fs.*, shell.exec) without a
// `workspace:` is refused (exit 2) at the line of that tool, naming it and how to give it a workspace; a
// tool module's tool of the same name replaces the built-in and needs none (decision 077).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-validate-ws-'));
writeFileSync(join(dir, 'script.yaml'), 'turns:\n  - final: done\n');
mkdirSync(join(dir, 'workspace'));

/** A role file of the header lines, then `lines`; with each line's number, to say where a problem is. */
function roleFile(name: string, lines: string[]): { file: string; lineOf: (text: string) => number } {
  const text = [
    `name: ${name}`,
    'description: a role with workspace tools',
    'model: script:./script.yaml',
    'instructions: do it',
    ...lines,
  ];
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `${text.join('\n')}\n`);
  return { file, lineOf: (t) => text.findIndex((l) => l.includes(t)) + 1 };
}

const needs = (tool: string) =>
  `${tool.replace('.', '\\.')} works in the role's workspace, and this role has none \\(every call of it would be denied\\): set workspace: to a folder for it \\(relative to the role file, e\\.g\\. workspace: \\./workspace\\), or remove ${tool.replace('.', '\\.')} from tools`;

describe('validate: workspace tools need a workspace', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses each fs.* or shell.exec entry of a role without a workspace, at its line, naming the tool', async () => {
    const { file, lineOf } = roleFile('no-ws', [
      'autonomy: draft',
      'tools:',
      '  - http.fetch',
      '  - fs.read',
      '  - notify.slack',
      '  - shell.exec',
      '  - fs.write',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    const lines = v.stderr.trim().split('\n');
    assert.equal(lines.length, 3, v.stderr);
    assert.match(
      lines[0]!,
      new RegExp(`no-ws\\.yaml:${lineOf('- fs.read')} tools\\[1\\]: ${needs('fs.read')}$`),
    );
    assert.match(
      lines[1]!,
      new RegExp(`no-ws\\.yaml:${lineOf('- shell.exec')} tools\\[3\\]: ${needs('shell.exec')}`),
    );
    assert.match(
      lines[2]!,
      new RegExp(`no-ws\\.yaml:${lineOf('- fs.write')} tools\\[4\\]: ${needs('fs.write')}`),
    );
    // The tools that work without a workspace are not named.
    assert.doesNotMatch(v.stderr, /http\.fetch|notify\.slack/);
    // --json gives the same, by line, with the code.
    const json = await runCli(['validate', '--json', file]);
    assert.equal(json.code, 2, json.stderr);
    const [result] = JSON.parse(json.stdout) as { issues: { path: string; line?: number }[] }[];
    assert.deepEqual(
      result!.issues.map((i) => [i.path, i.line]),
      [
        ['tools[1]', lineOf('- fs.read')],
        ['tools[3]', lineOf('- shell.exec')],
        ['tools[4]', lineOf('- fs.write')],
      ],
    );
  });

  it('loads the same role with a workspace', async () => {
    const { file } = roleFile('with-ws', [
      'autonomy: draft',
      'tools: [http.fetch, fs.read, shell.exec, fs.write]',
      'workspace: ./workspace',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /with-ws\.yaml: ok/);
  });

  it('is reported with the problems of a file whose shape is wrong', async () => {
    const { file, lineOf } = roleFile('shape', ['autonomy: drafty', 'tools: [fs.list]']);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    const lines = v.stderr.trim().split('\n');
    assert.equal(lines.length, 2, v.stderr);
    assert.match(lines[0]!, /shape\.yaml:5 autonomy: expected one of/);
    assert.match(lines[1]!, new RegExp(`shape\\.yaml:${lineOf('tools:')} tools\\[0\\]: ${needs('fs.list')}`));
  });

  it('is not reported when the workspace key itself is misspelt: that is the one problem said', async () => {
    const { file } = roleFile('misspelt', ['autonomy: draft', 'tools: [fs.read]', 'workspce: ./workspace']);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    assert.equal(v.stderr.trim().split('\n').length, 1, v.stderr);
    assert.match(
      v.stderr,
      /misspelt\.yaml:7 workspce: unknown key 'workspce' \(did you mean 'workspace'\?\)/,
    );
  });

  it('exempts a tool module tool that replaces the built-in of that name: the role loads', async () => {
    const define = new URL('../../src/tools/define.js', import.meta.url).href;
    writeFileSync(
      join(dir, 'notes.mjs'),
      `import { z } from '${import.meta.resolve('zod')}';
import { defineTool } from '${define}';
export const read = defineTool({
  name: 'fs.read', description: 'Reads a note from the notes service', input: z.object({ path: z.string() }),
  effect: 'read', run: () => ({ text: 'a note' }),
});
`,
    );
    const replaced = roleFile('replaced', [
      'autonomy: draft',
      'tools: [fs.read]',
      'toolModules: [./notes.mjs]',
    ]);
    const ok = await runCli(['validate', replaced.file]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /replaced\.yaml: ok/);
    // Only the name the module replaces: a built-in beside it still needs the workspace.
    const beside = roleFile('beside', [
      'autonomy: draft',
      'tools: [fs.read, fs.search]',
      'toolModules: [./notes.mjs]',
    ]);
    const refused = await runCli(['validate', beside.file]);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.stderr.trim().split('\n').length, 1, refused.stderr);
    assert.match(refused.stderr, new RegExp(`beside\\.yaml:6 tools\\[1\\]: ${needs('fs.search')}`));
  });
});
