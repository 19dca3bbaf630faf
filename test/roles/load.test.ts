// Role files: a good one loads; every kind of bad one is reported with file, line and key, all at once.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { RoleInvalidError } from '../../src/errors.js';
import { defineRole } from '../../src/roles/define.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { defineTool } from '../../src/tools/define.js';
import { examples, fixtures } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-roles-');
after(() => tmp.cleanup());
mkdirSync(join(tmp.path, 'workspace'));
writeFileSync(join(tmp.path, 'script.yaml'), 'turns:\n  - final: { summary: done }\n');

const GOOD = `name: refund-desk
description: Answers refund requests
autonomy: draft
model: script:./script.yaml
instructions: |
  You handle refund requests.
tools: [fs.read, fs.write]
workspace: ./workspace
escalation:
  - category: money
    when: { tool: fs.write, arg: amount, gt: 100 }
budget: { maxSteps: 20, maxCostUsd: 0.5, maxSeconds: 300 }
output:
  type: object
  required: [summary]
  properties: { summary: { type: string } }
`;

function writeRole(name: string, text: string): string {
  const file = join(tmp.path, name);
  writeFileSync(file, text);
  return file;
}

async function issuesOf(text: string, name = 'role.yaml') {
  const file = writeRole(name, text);
  try {
    await loadRoleFile(file);
  } catch (err) {
    assert.ok(err instanceof RoleInvalidError, `expected RoleInvalidError, got ${err}`);
    return { err, issues: err.issues };
  }
  assert.fail('the role loaded');
}

describe('loading role files', () => {
  it('loads a good role with paths resolved, defaults applied and a version', async () => {
    const role = await loadRoleFile(writeRole('good.yaml', GOOD));
    assert.equal(role.name, 'refund-desk');
    assert.equal(role.autonomy, 'draft');
    assert.equal(role.model, `script:${join(tmp.path, 'script.yaml')}`);
    assert.equal(role.workspace, join(tmp.path, 'workspace'));
    assert.equal(role.budget.onExceed, 'escalate');
    assert.match(role.version, /^[0-9a-f]{16}$/);
  });

  it("reports a misspelt autonomy as 'file:line key: expected one of ..., got ...'", async () => {
    const { err, issues } = await issuesOf(GOOD.replace('autonomy: draft', 'autonomy: ful'), 'refund.yaml');
    assert.equal(issues.length, 1);
    assert.deepEqual({ line: issues[0]!.line, path: issues[0]!.path }, { line: 3, path: 'autonomy' });
    assert.match(
      err.message,
      /refund\.yaml:3 autonomy: expected one of observe\|draft\|sandbox\|full, got 'ful'/,
    );
  });

  it('rejects unknown keys at their line, suggesting the right one', async () => {
    const { issues } = await issuesOf(
      GOOD.replace('budget: { maxSteps: 20', 'budget: { maxStep: 20').replace(
        'autonomy: draft',
        'autonomy: draft\nautonmy: full',
      ),
    );
    const byPath = Object.fromEntries(issues.map((i) => [i.path, i]));
    assert.equal(byPath.autonmy?.line, 4);
    assert.match(byPath.autonmy!.message, /unknown key 'autonmy' \(did you mean 'autonomy'\?\)/);
    assert.match(byPath['budget.maxStep']!.message, /unknown key 'maxStep' \(did you mean 'maxSteps'\?\)/);
    assert.equal(byPath['budget.maxStep']!.line, 13);
  });

  it('reports a missing key as required, and a wrong type', async () => {
    const { issues } = await issuesOf(
      GOOD.replace('description: Answers refund requests\n', '').replace('maxSteps: 20', 'maxSteps: twenty'),
    );
    const messages = issues.map((i) => `${i.path}: ${i.message}`);
    assert.ok(messages.includes('description: required'), messages.join('\n'));
    assert.ok(messages.includes('budget.maxSteps: expected number, got string'), messages.join('\n'));
  });

  it('reports YAML syntax errors and duplicate keys with their lines', async () => {
    const bad = await issuesOf(GOOD.replace('tools: [fs.read, fs.write]', 'tools: [fs.read, fs.write'));
    assert.match(bad.issues[0]!.message, /^YAML:/);
    assert.ok(bad.issues[0]!.line! >= 7);
    const dup = await issuesOf(GOOD.replace('autonomy: draft', 'autonomy: draft\nautonomy: full'));
    assert.match(dup.issues[0]!.message, /unique/i);
    assert.equal(dup.issues[0]!.line, 4);
  });

  it('checks the script, the workspace, tools, the output schema and regexes, all at once', async () => {
    const text = GOOD.replace('script:./script.yaml', 'script:./nope.yaml')
      .replace('workspace: ./workspace', 'workspace: ./missing')
      .replace('required: [summary]', 'required: summary')
      .replace('when: { tool: fs.write, arg: amount, gt: 100 }', 'when: { input: { matches: "([a-z" } }');
    const { issues } = await issuesOf(text);
    const paths = issues.map((i) => i.path).sort();
    assert.deepEqual(paths, ['escalation[0].when', 'model', 'output', 'workspace']);
    assert.ok(issues.every((i) => typeof i.line === 'number'));
    assert.match(issues.find((i) => i.path === 'model')!.message, /script file not found: \.\/nope\.yaml/);
  });

  it('rejects an unknown tool name at its list position', async () => {
    const { issues } = await issuesOf(
      GOOD.replace('tools: [fs.read, fs.write]', 'tools:\n  - fs.read\n  - refunds.isue'),
    );
    assert.equal(issues[0]!.path, 'tools[1]');
    assert.equal(issues[0]!.line, 9);
    assert.match(
      issues[0]!.message,
      /unknown tool 'refunds\.isue' \(available: fs\.read, fs\.list, fs\.search, fs\.write, fs\.edit, fs\.delete, shell\.exec, http\.fetch, notify\.slack, notify\.email, notify\.webhook\)/,
    );
  });

  it('rejects a bad escalation condition (unknown operator)', async () => {
    const { issues } = await issuesOf(GOOD.replace('arg: amount, gt: 100', 'arg: amount, greater: 100'));
    assert.equal(issues[0]!.path, 'escalation[0].when.greater');
    assert.match(issues[0]!.message, /unknown key 'greater'/);
  });

  it('reports a missing role file clearly', async () => {
    await assert.rejects(loadRoleFile(join(tmp.path, 'absent.yaml')), {
      code: 'ROLE_NOT_FOUND',
      message: /absent\.yaml: no such file/,
    });
  });

  it('reports problems in the model script file with its own lines', async () => {
    writeFileSync(join(tmp.path, 'bad-script.yaml'), 'turns:\n  - call: fs.read\n    final: { a: 1 }\n');
    const { issues } = await issuesOf(GOOD.replace('script:./script.yaml', 'script:./bad-script.yaml'));
    assert.equal(issues[0]!.file, './bad-script.yaml');
    assert.equal(issues[0]!.line, 2);
    assert.match(issues[0]!.message, /exactly one of call, calls, escalate, final or text/);
  });

  it('keeps the version when the role folder moves, and changes it when the script changes', async () => {
    const a = join(tmp.path, 'copy-a');
    const b = join(tmp.path, 'copy-b');
    cpSync(examples('roles'), join(a, 'roles'), { recursive: true });
    cpSync(examples('tools'), join(a, 'tools'), { recursive: true });
    cpSync(examples('workspaces'), join(a, 'workspaces'), { recursive: true });
    cpSync(a, b, { recursive: true });
    const va = (await loadRoleFile(join(a, 'roles', 'ops-monitor.yaml'))).version;
    const vb = (await loadRoleFile(join(b, 'roles', 'ops-monitor.yaml'))).version;
    assert.equal(va, vb);
    writeFileSync(
      join(b, 'roles', 'ops-monitor.script.yaml'),
      'turns:\n  - final: { healthy: true, findings: [] }\n',
    );
    assert.notEqual((await loadRoleFile(join(b, 'roles', 'ops-monitor.yaml'))).version, va);
  });
});

describe('defineRole', () => {
  const tool = defineTool({
    name: 'crm.lookup',
    description: 'look',
    input: z.object({ id: z.string() }),
    effect: 'read',
    run: () => ({}),
  });

  it('accepts tool objects and names, resolves paths against dir', () => {
    const role = defineRole(
      {
        name: 'coded',
        description: 'd',
        autonomy: 'full',
        model: 'script:./script.yaml',
        instructions: 'i',
        tools: ['fs.read', tool],
        workspace: './workspace',
      },
      { dir: tmp.path },
    );
    assert.deepEqual(role.tools, ['fs.read', 'crm.lookup']);
    assert.equal(role.inlineTools[0], tool);
    assert.equal(role.workspace, join(tmp.path, 'workspace'));
  });

  it('throws every problem at once, with key paths', () => {
    assert.throws(
      () =>
        defineRole(
          { name: 'Bad Name', description: '', autonomy: 'ful' as never, model: 'gpt', instructions: 'i' },
          { dir: tmp.path },
        ),
      (err: unknown) => {
        assert.ok(err instanceof RoleInvalidError);
        const paths = err.issues.map((i) => i.path).sort();
        assert.deepEqual(paths, ['autonomy', 'description', 'name']);
        return true;
      },
    );
  });

  it('loads the fixture tool module through a role file', async () => {
    const file = writeRole(
      'with-module.yaml',
      GOOD.replace(
        'tools: [fs.read, fs.write]',
        `tools: [ledger.append]\ntoolModules: [${fixtures('tools', 'ledger.ts')}]`,
      ),
    );
    const role = await loadRoleFile(file);
    assert.deepEqual(role.tools, ['ledger.append']);
  });
});
