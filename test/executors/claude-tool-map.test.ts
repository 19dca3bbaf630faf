// Claude Code's tools as nightshift's: the mapping the policy decides on.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { denialMessage } from '../../src/executors/claude-code/index.js';
import {
  bashToShellExec,
  claudeToolsFor,
  toNightshiftCall,
  workspacePath,
} from '../../src/executors/claude-code/tool-map.js';

const ws = '/srv/ws';

describe('Claude Code tool mapping', () => {
  it('maps each tool to its nightshift equivalent, with paths relative to the workspace', () => {
    const table: [string, Record<string, unknown>, { tool: string; args: unknown }][] = [
      ['Read', { file_path: '/srv/ws/a.txt' }, { tool: 'fs.read', args: { path: 'a.txt' } }],
      [
        'Write',
        { file_path: '/srv/ws/d/b.txt', content: 'x' },
        { tool: 'fs.write', args: { path: 'd/b.txt', content: 'x' } },
      ],
      [
        'Edit',
        { file_path: '/srv/ws/a.txt', old_string: 'a', new_string: 'b', replace_all: true },
        { tool: 'fs.edit', args: { path: 'a.txt', old: 'a', new: 'b', all: true } },
      ],
      [
        'Edit',
        { file_path: 'a.txt', old_string: 'a', new_string: 'b' },
        { tool: 'fs.edit', args: { path: 'a.txt', old: 'a', new: 'b' } },
      ],
      ['Glob', { pattern: '**/*.ts' }, { tool: 'fs.list', args: { path: '.', recursive: true } }],
      [
        'Glob',
        { pattern: '*.ts', path: '/srv/ws/src' },
        { tool: 'fs.list', args: { path: 'src', recursive: true } },
      ],
      [
        'Grep',
        { pattern: 'TODO', path: '/srv/ws' },
        { tool: 'fs.search', args: { pattern: 'TODO', regex: true, path: '.' } },
      ],
      ['Bash', { command: 'git status' }, { tool: 'shell.exec', args: { command: 'git', args: ['status'] } }],
      ['WebFetch', { url: 'https://x' }, { tool: 'claude-code.WebFetch', args: { url: 'https://x' } }],
    ];
    for (const [tool, input, expected] of table)
      assert.deepEqual(toNightshiftCall(ws, tool, input), expected, tool);
  });

  it('keeps a path outside the workspace absolute, so the scope check refuses it', () => {
    assert.equal(workspacePath(ws, '/srv/other/a.txt'), '/srv/other/a.txt');
    assert.equal(workspacePath(ws, '/srv/ws/../other'), '/srv/ws/../other');
    assert.equal(workspacePath(ws, '/srv/ws'), '.');
    assert.equal(workspacePath(ws, '/srv/wsx/a'), '/srv/wsx/a');
  });

  it('judges a Glob by the folder its pattern can reach, so `..` and absolute patterns cannot climb out', () => {
    const glob = (input: Record<string, unknown>) =>
      (toNightshiftCall(ws, 'Glob', input).args as { path: string }).path;
    assert.equal(glob({ pattern: '../*' }), '..');
    assert.equal(glob({ pattern: '../../etc/*' }), '../..');
    // Each glob segment may match nothing (`**`) or one folder: dropped, the climb is the deepest it can be.
    assert.equal(glob({ pattern: '**/**/../../x/*' }), '../..');
    assert.equal(glob({ pattern: 'src/*/../*.ts' }), 'src/..');
    assert.equal(glob({ pattern: '*.ts', path: '/srv/ws/src' }), 'src');
    assert.equal(glob({ pattern: '../*', path: '/srv/ws/src' }), 'src/..');
    assert.equal(glob({ pattern: '/etc/*' }), '/etc/*');
    assert.equal(glob({ pattern: '/srv/wsx/*' }), '/srv/wsx/*');
    assert.equal(glob({ pattern: '/srv/ws/src/*.ts' }), '.');
    assert.equal(glob({ pattern: '/srv/ws/**/../../x' }), '../..');
  });

  it('runs a Bash line that needs a shell as bash -c, so the policy sees bash', () => {
    assert.deepEqual(bashToShellExec('ls -la src'), { command: 'ls', args: ['-la', 'src'] });
    for (const line of ['echo hi > a.txt', 'cat a | wc -l', 'echo "$HOME"', 'rm -rf `pwd`'])
      assert.deepEqual(bashToShellExec(line), { command: 'bash', args: ['-c', line] }, line);
  });

  it('offers the session only the tools whose equivalents the role lists', () => {
    assert.deepEqual(claudeToolsFor(['fs.read', 'fs.write']), ['Read', 'Write']);
    assert.deepEqual(claudeToolsFor(['fs.list', 'fs.search', 'shell.exec', 'http.fetch']), [
      'Glob',
      'Grep',
      'Bash',
    ]);
    assert.deepEqual(claudeToolsFor([]), []);
  });

  it('tells Claude that a draft was not applied and must not be retried', () => {
    assert.match(denialMessage({ decision: 'draft', reason: 'r' }), /NOT been applied.*Do not retry/);
    assert.match(
      denialMessage({ decision: 'deny', reason: 'outside' }),
      /^denied by nightshift policy: outside$/,
    );
  });
});
