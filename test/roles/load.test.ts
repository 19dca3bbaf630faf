// Role files: a good one loads; every kind of bad one is reported with file, line and key, all at once;
// the version follows the content, not the folder the project sits in.
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { formatIssue, type Issue, RoleInvalidError } from '../../src/errors.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { fixtures, repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const FIXTURE = fixtures('roles', 'refund-desk');
const GOOD = readFileSync(join(FIXTURE, 'roles', 'refund.yaml'), 'utf8');

const tmp = tempDir('nightshift-roles-');
after(() => tmp.cleanup());
// Copies of the fixture project live in the temp dir; their tool module imports `nightshift` and `zod`
// like a user's would, so the temp dir gets a node_modules that resolves both.
mkdirSync(join(tmp.path, 'node_modules'));
symlinkSync(repoRoot, join(tmp.path, 'node_modules', 'nightshift'), 'dir');
symlinkSync(join(repoRoot, 'node_modules', 'zod'), join(tmp.path, 'node_modules', 'zod'), 'dir');

/** A fresh copy of the fixture project; returns its folder. */
function copyProject(name: string): string {
  const dir = join(tmp.path, name);
  cpSync(FIXTURE, dir, { recursive: true });
  return dir;
}

const project = copyProject('project');

/** The fixture's text with one piece replaced (failing loudly if the fixture no longer has it). */
function edit(text: string, from: string, to: string): string {
  assert.ok(text.includes(from), `the fixture role no longer contains ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** 1-based line of the first line containing `needle`. */
function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `no line contains ${JSON.stringify(needle)}`);
  return index + 1;
}

let counter = 0;
/** Writes the role text next to the good one and returns the issues loading it reports. */
async function problems(text: string): Promise<{ err: RoleInvalidError; issues: Issue[] }> {
  const file = join(project, 'roles', `case-${++counter}.yaml`);
  writeFileSync(file, text);
  try {
    await loadRoleFile(file);
  } catch (err) {
    assert.ok(err instanceof RoleInvalidError, `expected RoleInvalidError, got ${err}`);
    assert.equal(err.code, 'ROLE_INVALID');
    assert.ok(
      err.issues.every((i) => i.file !== undefined),
      'every issue names its file',
    );
    return { err, issues: err.issues };
  }
  assert.fail('the role loaded');
}

function only(issues: Issue[]): Issue {
  assert.equal(issues.length, 1, issues.map(formatIssue).join('\n'));
  return issues[0]!;
}

describe('a good role file', () => {
  it('loads with paths made absolute, defaults applied and a version', async () => {
    const file = join(FIXTURE, 'roles', 'refund.yaml');
    const role = await loadRoleFile(file);
    assert.equal(role.name, 'refund-desk');
    assert.equal(role.autonomy, 'draft');
    assert.equal(role.model, `script:${join(FIXTURE, 'roles', 'refund.script.yaml')}`);
    assert.equal(role.workspace, join(FIXTURE, 'workspace'));
    assert.deepEqual(role.toolModules, [join(FIXTURE, 'tools', 'refunds.ts')]);
    assert.deepEqual(role.tools, ['fs.read', 'fs.write', 'refunds.issue']);
    assert.deepEqual(role.budget, { maxSteps: 20, maxCostUsd: 0.5, maxSeconds: 600, onExceed: 'escalate' });
    assert.equal(role.escalation.length, 2);
    assert.deepEqual(role.source, { file, dir: join(FIXTURE, 'roles') });
    assert.deepEqual(role.inlineTools, []);
    assert.match(role.version, /^[0-9a-f]{16}$/);
  });

  it('loads again in the same process (an output schema with $id included)', async () => {
    const text = edit(GOOD, 'output:\n', 'output:\n  $id: https://example.com/refund-output\n');
    const file = join(project, 'roles', 'with-id.yaml');
    writeFileSync(file, text);
    const first = await loadRoleFile(file);
    const second = await loadRoleFile(file);
    assert.equal(first.version, second.version);
  });
});

describe('a bad role file', () => {
  it("reports a misspelt autonomy as 'file:line key: expected one of ..., got ...'", async () => {
    const dir = copyProject('typo');
    writeFileSync(join(dir, 'roles', 'refund.yaml'), edit(GOOD, 'autonomy: draft', 'autonomy: ful'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      // The file is named in the message as the user typed it.
      await assert.rejects(loadRoleFile('roles/refund.yaml'), (err: unknown) => {
        assert.ok(err instanceof RoleInvalidError);
        assert.deepEqual(err.issues.map(formatIssue), [
          "roles/refund.yaml:7 autonomy: expected one of observe|draft|sandbox|full, got 'ful'",
        ]);
        assert.ok(
          err.message.includes(
            "roles/refund.yaml:7 autonomy: expected one of observe|draft|sandbox|full, got 'ful'",
          ),
          err.message,
        );
        return true;
      });
    } finally {
      process.chdir(cwd);
    }
  });

  it('reports an unknown key at its own line, suggesting the key it was probably meant to be', async () => {
    const text = edit(
      edit(GOOD, 'autonomy: draft', 'autonmy: draft\nautonomy: draft'),
      'maxSteps: 20',
      'maxStep: 20',
    );
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => [i.line, i.path, i.message]),
      [
        [7, 'autonmy', "unknown key 'autonmy' (did you mean 'autonomy'?)"],
        [lineOf(text, 'maxStep:'), 'budget.maxStep', "unknown key 'maxStep' (did you mean 'maxSteps'?)"],
      ],
    );
  });

  it('suggests nothing when no key is close, and finds keys inside conditions', async () => {
    const text = edit(
      edit(GOOD, 'autonomy: draft', 'autonomy: draft\ncolour: red'),
      'matches: "(?i)lawsuit|attorney"',
      'match: lawsuit',
    );
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => [i.line, i.path, i.message]),
      [
        [8, 'colour', "unknown key 'colour'"],
        [
          lineOf(text, 'match: lawsuit'),
          'escalation[1].when.input.match',
          "unknown key 'match' (did you mean 'matches'?)",
        ],
      ],
    );
  });

  it('reports a missing key as required, at the line of the mapping that lacks it', async () => {
    const top = only(
      (await problems(edit(GOOD, 'description: Answers refund requests from the support queue\n', '')))
        .issues,
    );
    assert.deepEqual([top.path, top.message, top.line], ['description', 'required', lineOf(GOOD, 'name:')]);
    const text = edit(GOOD, '    when: { tool: refunds.issue, arg: amount, gt: 100 }\n', '');
    const nested = only((await problems(text)).issues);
    assert.deepEqual(
      [nested.path, nested.message, nested.line],
      ['escalation[0].when', 'required', lineOf(text, '- category: money')],
    );
  });

  it('reports a value of the wrong type with what was expected and what was found', async () => {
    const text = edit(edit(GOOD, 'maxSteps: 20', 'maxSteps: twenty'), 'maxCostUsd: 0.5', 'maxCostUsd: [1]');
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => [i.line, i.path, i.message]),
      [
        [lineOf(text, 'maxSteps'), 'budget.maxSteps', 'expected number, got string'],
        [lineOf(text, 'maxCostUsd'), 'budget.maxCostUsd', 'expected number, got list'],
      ],
    );
  });

  it('reports a YAML syntax error with its line', async () => {
    const text = edit(GOOD, 'toolModules: [../tools/refunds.ts]', 'toolModules: [../tools/refunds.ts');
    const { issues } = await problems(text);
    assert.match(issues[0]!.message, /^YAML: /);
    assert.ok((issues[0]!.line ?? 0) >= lineOf(text, 'toolModules'), formatIssue(issues[0]!));
  });

  it('reports a duplicate key at the second occurrence, naming the first', async () => {
    const issue = only(
      (await problems(edit(GOOD, 'autonomy: draft', 'autonomy: draft\nautonomy: full'))).issues,
    );
    assert.deepEqual(
      [issue.line, issue.path, issue.message],
      [8, 'autonomy', 'duplicate key (already set at line 7)'],
    );
  });

  it('reports aliases that expand past the limit at the first alias, as a problem of the file', async () => {
    // A few lines that would expand to 9^7 values: yaml refuses, which was an "internal error" (exit 1).
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const bomb = levels
      .map(
        (k, i) =>
          `${k}: &${k} [${Array(9)
            .fill(i === 0 ? '"x"' : `*${levels[i - 1]}`)
            .join(',')}]`,
      )
      .join('\n');
    const issue = only((await problems(`${GOOD}${bomb}\n`)).issues);
    assert.deepEqual(
      [issue.line, issue.path, issue.message],
      [
        GOOD.split('\n').length + 1,
        '',
        'YAML: its aliases (*name) expand to too many values; write the values out instead',
      ],
    );
  });

  it("reports YAML's .inf and .nan as numbers that are not finite, not as 'expected number, got number'", async () => {
    const text = edit(edit(GOOD, 'maxSteps: 20', 'maxSteps: .inf'), 'maxCostUsd: 0.5', 'maxCostUsd: .nan');
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => [i.line, i.path, i.message]),
      [
        [lineOf(text, 'maxSteps'), 'budget.maxSteps', 'expected a finite number, got Infinity'],
        [lineOf(text, 'maxCostUsd'), 'budget.maxCostUsd', 'expected a finite number, got NaN'],
      ],
    );
  });

  it('reports a model script that does not exist', async () => {
    const issue = only(
      (await problems(edit(GOOD, 'script:./refund.script.yaml', 'script:./nope.script.yaml'))).issues,
    );
    assert.equal(issue.path, 'model');
    assert.equal(issue.line, 5);
    assert.match(
      issue.message,
      /^script file not found: \.\/nope\.script\.yaml \(looked for .*nope\.script\.yaml\)$/,
    );
  });

  it('reports a model with no known provider', async () => {
    const issue = only((await problems(edit(GOOD, 'script:./refund.script.yaml', 'gpt-4o'))).issues);
    assert.equal(issue.path, 'model');
    assert.match(
      issue.message,
      /provider one of script\|anthropic\|openai\|openai-chat\|openai-compatible\|custom\|claude-code\|codex, got 'gpt-4o'/,
    );
  });

  it('reports problems inside the model script at its own lines, under the path to open', async () => {
    writeFileSync(
      join(project, 'roles', 'bad.script.yaml'),
      'turns:\n  - final: { a: 1 }\n  - cal: fs.read\n',
    );
    const { issues } = await problems(edit(GOOD, 'script:./refund.script.yaml', 'script:./bad.script.yaml'));
    assert.deepEqual(
      issues.map((i) => [i.file, i.line, i.path, i.message]),
      [
        [
          join(project, 'roles', 'bad.script.yaml'),
          3,
          'turns[1].cal',
          "unknown key 'cal' (did you mean 'call'?)",
        ],
        [
          join(project, 'roles', 'bad.script.yaml'),
          3,
          'turns[1]',
          'a turn needs one of call, calls, escalate, final or text',
        ],
      ],
    );
  });

  it('reports a workspace that does not exist, or is not a folder', async () => {
    const missing = only(
      (await problems(edit(GOOD, 'workspace: ../workspace', 'workspace: ../nowhere'))).issues,
    );
    assert.deepEqual([missing.path, missing.line], ['workspace', lineOf(GOOD, 'workspace:')]);
    assert.match(missing.message, /^workspace folder not found: \.\.\/nowhere/);
    const file = only(
      (await problems(edit(GOOD, 'workspace: ../workspace', 'workspace: ../workspace/tickets/T-1001.txt')))
        .issues,
    );
    assert.match(file.message, /^workspace is not a folder/);
  });

  it('reports a misspelt tool with the shape problems, not only after they are fixed', async () => {
    // An unknown key (the shape) and an unknown tool (known only once the tool module is loaded).
    const text = edit(
      edit(GOOD, 'autonomy: draft', 'autonmy: draft'),
      '  - refunds.issue',
      '  - refunds.isue',
    );
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => [i.path, i.message.replace(/ \(available: .*\)$/, '')]),
      [
        ['autonomy', 'required: one of observe|draft|sandbox|full'],
        ['autonmy', "unknown key 'autonmy' (did you mean 'autonomy'?)"],
        ['tools[2]', "unknown tool 'refunds.isue'"],
      ],
    );
    assert.match(
      issues[2]!.message,
      /available: .*refunds\.issue/,
      'the module was loaded to know its tools',
    );
  });

  it('reports a tool module that is missing, or exports no tools', async () => {
    const missing = only((await problems(edit(GOOD, '../tools/refunds.ts', '../tools/refundz.ts'))).issues);
    assert.deepEqual([missing.path, missing.line], ['toolModules[0]', lineOf(GOOD, 'toolModules')]);
    assert.match(missing.message, /^tool module not found: \.\.\/tools\/refundz\.ts/);
    const none = only(
      (await problems(edit(GOOD, '../tools/refunds.ts', fixtures('tool-modules', 'none.ts')))).issues,
    );
    assert.equal(none.path, 'toolModules[0]');
    assert.match(none.message, /none\.ts exports no tools/);
  });

  it('reports an unknown tool at its list position, with the tools that exist', async () => {
    const issue = only((await problems(edit(GOOD, '  - refunds.issue', '  - refunds.isue'))).issues);
    assert.equal(issue.line, 13);
    assert.match(
      formatIssue(issue),
      /case-\d+\.yaml:13 tools\[2\]: unknown tool 'refunds\.isue' \(available: fs\.read, .*\)$/,
    );
    assert.match(issue.message, /refunds\.issue, refunds\.lookup\)$/);
  });

  it('reports an escalation rule on a tool the role does not have: it could never see a call', async () => {
    // A misspelt name in a rule (the tools list is right) switched the rule off without a word, and
    // refunds.issue then ran with no escalation at all.
    const text = edit(
      GOOD,
      'when: { tool: refunds.issue, arg: amount, gt: 100 }',
      'when: { any: [{ tool: [fs.read, refunds.isue], arg: amount, gt: 100 }, { result: { tool: shell.exec } }] }',
    );
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => [i.line, i.path]),
      [
        [19, 'escalation[0].when.any[0].tool[1]'],
        [19, 'escalation[0].when.any[1].result.tool'],
      ],
    );
    assert.match(
      issues[0]!.message,
      /^'refunds\.isue' is not a tool of this role \(this role's tools are fs\.read, fs\.write, refunds\.issue\)/,
    );
    // The tools a role has without listing them are not refused: escalate, and a specialist's delegate.
    const specialist = join(project, 'roles', 'helper.yaml');
    writeFileSync(specialist, edit(GOOD, 'name: refund-desk', 'name: helper'));
    const ok = join(project, 'roles', 'implicit.yaml');
    writeFileSync(
      ok,
      edit(
        edit(
          GOOD,
          'when: { tool: refunds.issue, arg: amount, gt: 100 }',
          'when: { tool: [escalate, delegate.helper] }',
        ),
        'workspace: ../workspace',
        'workspace: ../workspace\nspecialists: [./helper.yaml]',
      ),
    );
    await loadRoleFile(ok);
    const wrongSpecialist = only(
      (await problems(readFileSync(ok, 'utf8').replace('delegate.helper', 'delegate.helpr'))).issues,
    );
    assert.match(
      wrongSpecialist.message,
      /'delegate\.helpr' is not a tool of this role \(this role's specialists are helper\)/,
    );
  });

  it("refuses 'escalate' in tools: it is always available", async () => {
    const issue = only((await problems(edit(GOOD, '  - fs.write\n', '  - fs.write\n  - escalate\n'))).issues);
    assert.deepEqual(
      [issue.path, issue.message],
      ['tools[2]', "'escalate' is always available; do not list it"],
    );
  });

  it('reports an output schema ajv cannot compile, with its message', async () => {
    const issue = only((await problems(edit(GOOD, 'required: [summary]', 'required: summary'))).issues);
    assert.deepEqual([issue.path, issue.line], ['output', lineOf(GOOD, 'output:')]);
    assert.match(issue.message, /^not a valid JSON Schema: .*required must be array/);
  });

  it('reports an escalation regex that does not compile', async () => {
    const text = edit(GOOD, '"(?i)lawsuit|attorney"', '"(?i)lawsuit|(attorney"');
    const issue = only((await problems(text)).issues);
    assert.deepEqual(
      [issue.path, issue.line],
      ['escalation[1].when.input.matches', lineOf(text, '(attorney')],
    );
    assert.match(
      issue.message,
      /^invalid regular expression "\(\?i\)lawsuit\|\(attorney": .*missing closing \)/,
    );
  });

  it('refuses a pattern RE2 cannot run in linear time (a backreference), saying the syntax is RE2', async () => {
    const text = edit(GOOD, '"(?i)lawsuit|attorney"', '"(a)\\\\1"');
    const issue = only((await problems(text)).issues);
    assert.equal(issue.path, 'escalation[1].when.input.matches');
    assert.match(issue.message, /invalid escape sequence.*RE2 syntax: no lookaround or backreferences/);
  });

  it('reports every problem of the file at once, in file order', async () => {
    const text = edit(
      edit(edit(GOOD, 'autonomy: draft', 'autonomy: ful'), 'maxSteps: 20', 'maxSteps: twenty'),
      'toolModules:',
      'toolModule:',
    );
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => `${i.line} ${i.path}`),
      ['7 autonomy', '14 toolModule', `${lineOf(text, 'maxSteps')} budget.maxSteps`],
    );
  });

  it('reports every problem found on disk at once', async () => {
    let text = GOOD;
    text = edit(text, 'script:./refund.script.yaml', 'script:./nope.script.yaml');
    text = edit(text, 'workspace: ../workspace', 'workspace: ../nowhere');
    text = edit(text, '  - refunds.issue', '  - refunds.isue');
    text = edit(text, 'required: [summary]', 'required: summary');
    text = edit(text, '"(?i)lawsuit|attorney"', '"(?i)lawsuit|(attorney"');
    const { err, issues } = await problems(text);
    assert.deepEqual(issues.map((i) => i.path).sort(), [
      'escalation[1].when.input.matches',
      'model',
      'output',
      'tools[2]',
      'workspace',
    ]);
    assert.ok(issues.every((i) => typeof i.line === 'number'));
    for (const issue of issues) assert.ok(err.message.includes(formatIssue(issue)), err.message);
  });

  it('reports a role file that does not exist', async () => {
    await assert.rejects(loadRoleFile(join(tmp.path, 'absent.yaml')), {
      code: 'ROLE_NOT_FOUND',
      message: /absent\.yaml: no such file/,
    });
  });
});

describe('role versions', () => {
  const versionOf = async (dir: string) => (await loadRoleFile(join(dir, 'roles', 'refund.yaml'))).version;

  it('stays the same when the role folder is copied to another path', async () => {
    const a = copyProject('version-a');
    const b = join(tmp.path, 'somewhere', 'else');
    mkdirSync(b, { recursive: true });
    cpSync(a, b, { recursive: true });
    const version = await versionOf(FIXTURE);
    assert.equal(await versionOf(a), version);
    assert.equal(await versionOf(b), version);
  });

  it('changes when the model script changes', async () => {
    const dir = copyProject('version-script');
    const before = await versionOf(dir);
    writeFileSync(
      join(dir, 'roles', 'refund.script.yaml'),
      'turns:\n  - final: { summary: nothing to do }\n',
    );
    assert.notEqual(await versionOf(dir), before);
  });

  it('changes when a tool module changes', async () => {
    const dir = copyProject('version-module');
    const before = await versionOf(dir);
    appendFileSync(join(dir, 'tools', 'refunds.ts'), '// edited\n');
    assert.notEqual(await versionOf(dir), before);
  });

  it('changes with the role, and not when a default is written out', async () => {
    const dir = copyProject('version-role');
    const file = join(dir, 'roles', 'refund.yaml');
    const before = await versionOf(dir);
    writeFileSync(
      file,
      edit(GOOD, 'maxCostUsd: 0.5', 'maxCostUsd: 0.5\n  maxSeconds: 600\n  onExceed: escalate'),
    );
    assert.equal(await versionOf(dir), before);
    writeFileSync(file, edit(GOOD, 'autonomy: draft', 'autonomy: sandbox'));
    assert.notEqual(await versionOf(dir), before);
  });
});

describe('loading role files: triggers', () => {
  it("refuses a cron trigger whose ticks' input the role's input schema refuses", async () => {
    // before: the role loaded and served, and every tick was refused (INPUT_INVALID, in the log only):
    // the schedule never started a run.
    const withInput = `${GOOD}input: { type: object, required: [region], properties: { region: { type: string } } }\n`;
    const text = `${withInput}triggers:\n  - cron: { schedule: "0 9 * * *" }\n  - cron: { schedule: "0 10 * * *", input: { region: 7 } }\n`;
    const { issues } = await problems(text);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    assert.deepEqual(Object.keys(byPath).sort(), ['triggers[0].cron.input', 'triggers[1].cron.input']);
    assert.match(
      byPath['triggers[0].cron.input']!,
      /\{\} when not set.*must have required property 'region'/,
    );
    assert.match(byPath['triggers[1].cron.input']!, /\/region must be string/);
  });

  it('loads a cron trigger whose input matches the schema, and one without input on a role without a schema', async () => {
    const withInput = `${GOOD}input: { type: object, required: [region] }\n`;
    const file = join(project, 'roles', `case-${++counter}.yaml`);
    writeFileSync(
      file,
      `${withInput}triggers:\n  - cron: { schedule: "0 9 * * *", input: { region: eu } }\n`,
    );
    const role = await loadRoleFile(file);
    const cron = role.triggers.find((t) => 'cron' in t);
    assert.ok(cron && 'cron' in cron);
    assert.deepEqual(cron.cron.input, { region: 'eu' });
    writeFileSync(file, `${GOOD}triggers:\n  - cron: { schedule: "0 9 * * *" }\n`);
    await loadRoleFile(file);
  });

  it('rejects a bad cron schedule and an unknown time zone at their keys', async () => {
    const text = `${GOOD}triggers:\n  - cron: { schedule: "61 * * * *" }\n  - cron: { schedule: "0 9 * * *", timezone: Mars/Olympus }\n`;
    const { issues } = await problems(text);
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i.message]));
    assert.match(byPath['triggers[0].cron.schedule'] ?? '', /invalid cron schedule '61 \* \* \* \*'/);
    assert.match(byPath['triggers[1].cron.timezone'] ?? '', /unknown time zone 'Mars\/Olympus'/);
  });

  it('rejects a schedule that never fires (February 31, a past year): the role would never run', async () => {
    const text = `${GOOD}triggers:\n  - cron: { schedule: "0 0 31 2 *" }\n  - cron: { schedule: "0 0 0 1 1 * 2020" }\n  - cron: { schedule: "0 0 29 2 *" }\n`;
    const { issues } = await problems(text);
    assert.deepEqual(
      issues.map((i) => [i.path, i.message]),
      [
        ['triggers[0].cron.schedule', "cron schedule '0 0 31 2 *' never fires (no such date ahead)"],
        ['triggers[1].cron.schedule', "cron schedule '0 0 0 1 1 * 2020' never fires (no such date ahead)"],
      ],
    );
  });
});
