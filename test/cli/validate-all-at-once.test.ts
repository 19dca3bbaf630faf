// `nightshift validate` from outside: every independent problem of a role file in one run, each at its
// file and line (docs/roles.md, "Errors"). It used to report them in stages: a file whose shape was wrong
// said nothing of its escalation rules or its tiers, an unknown tool hid every rule on a tool the role
// lacks, and a role that failed to load (or whose manager did) had its tiers checked only once fixed.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'nightshift-validate-all-'));
writeFileSync(join(dir, 'script.yaml'), 'turns:\n  - final: done\n');
writeFileSync(join(dir, 'nightshift.config.yaml'), "people:\n  - name: alice\n    decides: ['*']\n");
// The roles list fs.* and shell.exec, which need a workspace (decision 077); it is the last line of each
// file, so the lines of the problems looked for do not move.
mkdirSync(join(dir, 'ws'));
const WORKSPACE = 'workspace: ./ws';

function roleFile(name: string, lines: string[]): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    `${['name: many', 'description: a role with many problems', 'model: script:./script.yaml', 'instructions: do it', ...lines].join('\n')}\n`,
  );
  return file;
}

async function problems(file: string): Promise<string[]> {
  const res = await runCli(['validate', file], { cwd: dir });
  assert.equal(res.code, 2, res.stderr);
  return res.stderr.trim().split('\n');
}

describe('validate: every problem of a role file at once', () => {
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a wrong shape still has its unknown tools, its rules on tools it lacks and its tiers reported', async () => {
    const file = roleFile('shape', [
      'autonomy: drafty',
      'tools: [fs.read, fs.wrte]',
      'escalation:',
      '  - category: money',
      '    when: { tool: refunds.issue, arg: amount, gt: 100 }',
      'escalate:',
      '  tiers:',
      '    - to: [alice, ghost]',
      WORKSPACE,
    ]);
    const lines = await problems(file);
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.match(
      lines[0]!,
      /shape\.yaml:5 autonomy: expected one of observe\|draft\|sandbox\|full, got 'drafty'/,
    );
    assert.match(lines[1]!, /shape\.yaml:6 tools\[1\]: unknown tool 'fs\.wrte'/);
    assert.match(
      lines[2]!,
      /shape\.yaml:9 escalation\[0\]\.when\.tool: 'refunds\.issue' is not a tool of this role/,
    );
    assert.match(
      lines[3]!,
      /shape\.yaml:12 escalate\.tiers\[0\]\.to: ghost is neither a person nor a group in nightshift\.config\.yaml/,
    );
  });

  it('an unknown tool holds back only the rules on real tools (the list may be the misspelt one)', async () => {
    const file = roleFile('tools', [
      'autonomy: draft',
      'tools: [fs.read, fs.wrte]',
      'escalation:',
      '  - category: other',
      '    when: { tool: fs.write }',
      '  - category: money',
      '    when: { tool: refunds.issue, arg: amount, gt: 100 }',
      'escalate:',
      '  tiers:',
      '    - to: [ghost]',
      WORKSPACE,
    ]);
    const lines = await problems(file);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /tools\.yaml:6 tools\[1\]: unknown tool 'fs\.wrte'/);
    assert.match(lines[1]!, /tools\.yaml:11 escalation\[1\]\.when\.tool: 'refunds\.issue' is not a tool/);
    assert.match(lines[2]!, /tools\.yaml:14 escalate\.tiers\[0\]\.to: ghost is neither/);
  });

  it('a role that loads has its manager path and its tiers checked together', async () => {
    const file = roleFile('manager', [
      'autonomy: draft',
      'tools: [fs.read]',
      'manager: ./no-such-manager.yaml',
      'escalate:',
      '  tiers:',
      '    - to: [ghost]',
      WORKSPACE,
    ]);
    const lines = await problems(file);
    assert.equal(lines.length, 2, lines.join('\n'));
    assert.match(
      lines.join('\n'),
      /manager\.yaml:7 manager: manager role file not found: \.\/no-such-manager\.yaml/,
    );
    assert.match(lines.join('\n'), /manager\.yaml:10 escalate\.tiers\[0\]\.to: ghost is neither/);
  });

  it("a manager file's problems are reported at that file's own lines too", async () => {
    const manager = join(dir, 'bad-manager.yaml');
    writeFileSync(
      manager,
      'name: boss\ndescription: d\nmodel: script:./script.yaml\ninstructions: i\nautonomy: drafty\ntools: [fs.reed]\n',
    );
    const file = roleFile('managed', [
      'autonomy: draft',
      'tools: [fs.read]',
      'manager: ./bad-manager.yaml',
      WORKSPACE,
    ]);
    const lines = await problems(file);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(
      lines[0]!,
      /managed\.yaml:7 manager: manager role .*bad-manager\.yaml is invalid \(2 problems/,
    );
    assert.match(lines[1]!, /bad-manager\.yaml:5 autonomy: expected one of/);
    assert.match(lines[2]!, /bad-manager\.yaml:6 tools\[0\]: unknown tool 'fs\.reed'/);
    const json = await runCli(['validate', '--json', file], { cwd: dir });
    const [result] = JSON.parse(json.stdout) as { issues: { file?: string; line?: number }[] }[];
    assert.deepEqual(
      result!.issues.map((i) => [i.file, i.line]),
      [
        [undefined, 7],
        [manager, 5],
        [manager, 6],
      ],
    );
  });

  it('a name that is not a string does not move the line of the names after it', async () => {
    const file = roleFile('nonstring', [
      'autonomy: drafty',
      'tools: [fs.read]',
      'escalate:',
      '  tiers:',
      '    - to:',
      '        - 42',
      '        - alice',
      '        - ghost',
      WORKSPACE,
    ]);
    const lines = await problems(file);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[1]!, /nonstring\.yaml:10 escalate\.tiers\[0\]\.to\[0\]: expected string/);
    assert.match(lines[2]!, /nonstring\.yaml:12 escalate\.tiers\[0\]\.to: ghost is neither/);
  });

  it('a wrong shape still has every file it names looked for', async () => {
    // Each named file missing, the workspace a file, and the shape wrong: all in one pass (the files were
    // reported only once the shape was fixed).
    writeFileSync(join(dir, 'not-a-folder'), 'x\n');
    const file = join(dir, 'files.yaml');
    writeFileSync(
      file,
      `${[
        'name: files',
        'description: a role naming files that are not there',
        'model: script:./no-such.script.yaml',
        'instructions: do it',
        'autonomy: drafty',
        'tools: [fs.read]',
        'workspace: ./not-a-folder',
        'toolModules: [./no-such-tools.js]',
        'manager: { role: ./no-such-manager.yaml }',
        'evals: ./no-such.evals.yaml',
        'secretsFile: ./no-such.env',
        'specialists: [./no-such-specialist.yaml]',
      ].join('\n')}\n`,
    );
    const lines = await problems(file);
    assert.equal(lines.length, 8, lines.join('\n'));
    assert.match(lines[0]!, /files\.yaml:3 model: script file not found: \.\/no-such\.script\.yaml/);
    assert.match(lines[1]!, /files\.yaml:5 autonomy: expected one of/);
    assert.match(lines[2]!, /files\.yaml:7 workspace: workspace is not a folder: \.\/not-a-folder/);
    assert.match(lines[3]!, /files\.yaml:8 toolModules\[0\]: tool module not found: \.\/no-such-tools\.js/);
    assert.match(
      lines[4]!,
      /files\.yaml:9 manager\.role: manager role file not found: \.\/no-such-manager\.yaml/,
    );
    assert.match(lines[5]!, /files\.yaml:10 evals: eval suite not found: \.\/no-such\.evals\.yaml/);
    assert.match(lines[6]!, /files\.yaml:11 secretsFile: secrets file not found: \.\/no-such\.env/);
    assert.match(
      lines[7]!,
      /files\.yaml:12 specialists\[0\]: specialist \.\/no-such-specialist\.yaml: .*no-such-specialist\.yaml: no such file/,
    );
  });

  it('a wrong shape still has its scope.commands entries that could never run reported', async () => {
    const file = roleFile('commands', [
      'autonomy: drafty',
      'tools: [shell.exec]',
      'scope:',
      '  commands:',
      '    - ./run.sh',
      '    - program: git',
      "      args: ['(']",
      WORKSPACE,
    ]);
    const lines = await problems(file);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0]!, /commands\.yaml:5 autonomy: expected one of/);
    assert.match(
      lines[1]!,
      /commands\.yaml:9 scope\.commands\[0\]: expected a bare name .* got '\.\/run\.sh': a relative path never runs/,
    );
    assert.match(lines[2]!, /commands\.yaml:11 scope\.commands\[1\]\.args\[0\]: invalid regular expression/);
  });

  it('a YAML syntax error stops the rest (there is no document to look at)', async () => {
    const file = roleFile('syntax', [
      'autonomy: draft',
      'tools: [fs.read',
      'escalate: { tiers: [{ to: [ghost] }] }',
    ]);
    const lines = await problems(file);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /syntax\.yaml:\d+: YAML/);
  });
});
