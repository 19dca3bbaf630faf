// defineRole: the same role as a YAML file, written in TypeScript, with tools given by name or as objects.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { z } from 'zod';
import { RoleInvalidError } from '../../src/errors.js';
import { type DefineRoleInput, defineRole } from '../../src/roles/define.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { defineTool } from '../../src/tools/define.js';
import type { AnyTool } from '../../src/tools/types.js';
import { fixtures } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const ROLES = fixtures('roles', 'refund-desk', 'roles');
const tmp = tempDir('nightshift-define-');
after(() => tmp.cleanup());

const lookup = defineTool({
  name: 'crm.lookup',
  description: 'Find a customer',
  input: z.object({ id: z.string() }),
  effect: 'read',
  run: () => ({}),
});

const base: DefineRoleInput = {
  name: 'coded',
  description: 'A role written in code',
  autonomy: 'full',
  model: 'script:./refund.script.yaml',
  instructions: 'Do the thing.',
  workspace: '../workspace',
};

function issuesOf(input: DefineRoleInput, dir = ROLES) {
  try {
    defineRole(input, { dir });
  } catch (err) {
    assert.ok(err instanceof RoleInvalidError, `expected RoleInvalidError, got ${err}`);
    return err.issues;
  }
  assert.fail('the role was accepted');
}

describe('defineRole', () => {
  it('takes tools as names and as objects, and resolves paths against dir', () => {
    const role = defineRole(
      { ...base, tools: ['fs.read', lookup], toolModules: ['../tools/refunds.ts'] },
      {
        dir: ROLES,
      },
    );
    assert.deepEqual(role.tools, ['fs.read', 'crm.lookup']);
    assert.deepEqual(role.inlineTools, [lookup]);
    assert.equal(role.model, `script:${join(ROLES, 'refund.script.yaml')}`);
    assert.equal(role.workspace, fixtures('roles', 'refund-desk', 'workspace'));
    assert.deepEqual(role.toolModules, [fixtures('roles', 'refund-desk', 'tools', 'refunds.ts')]);
    assert.deepEqual(role.source, { file: undefined, dir: ROLES });
    assert.equal(role.budget.maxSteps, 25);
  });

  it('resolves paths against the working directory by default', () => {
    const role = defineRole({ ...base, model: 'anthropic:claude-sonnet-4-5', workspace: '.' });
    assert.equal(role.workspace, process.cwd());
    assert.equal(role.model, 'anthropic:claude-sonnet-4-5');
  });

  it('throws every problem at once, by key path and without lines', () => {
    const issues = issuesOf({
      ...base,
      name: 'Bad Name',
      description: '',
      autonomy: 'ful' as never,
      budget: { maxSteps: 'ten' as never },
      autonmy: 'full',
    } as DefineRoleInput);
    assert.deepEqual(
      issues.map((i) => [i.path, i.message]),
      [
        [
          'name',
          `expected lowercase letters, digits, ".", "_" or "-", starting with a letter or digit, got 'Bad Name'`,
        ],
        ['description', 'must not be empty'],
        ['autonomy', "expected one of observe|draft|sandbox|full, got 'ful'"],
        ['budget.maxSteps', 'expected number, got string'],
        ['autonmy', "unknown key 'autonmy' (did you mean 'autonomy'?)"],
      ],
    );
    assert.ok(issues.every((i) => i.line === undefined && i.file === undefined));
  });

  it('checks the model, workspace, output schema and tool list like a role file', () => {
    const issues = issuesOf({
      ...base,
      model: 'gpt-4o',
      workspace: './nowhere',
      output: { type: 'objekt' },
      tools: ['fs.read', 'escalate'],
    });
    assert.deepEqual(issues.map((i) => i.path).sort(), ['model', 'output', 'tools[1]', 'workspace']);
  });

  it('refuses a workspace tool without a workspace, by key path, unless an inline tool replaces it', () => {
    const issues = issuesOf({ ...base, workspace: undefined, tools: ['http.fetch', 'fs.write', lookup] });
    assert.deepEqual(
      issues.map((i) => [i.path, i.message]),
      [
        [
          'tools[1]',
          "fs.write works in the role's workspace, and this role has none (every call of it would be denied): set workspace: to a folder for it (relative to options.dir, by default the working directory, e.g. workspace: ./workspace), or remove fs.write from tools",
        ],
      ],
    );
    // An inline tool of a built-in's name replaces it, and works wherever it likes.
    const notes = defineTool({
      name: 'fs.read',
      description: 'Reads a note from the notes service',
      input: z.object({ path: z.string() }),
      effect: 'read',
      run: () => ({ text: 'a note' }),
    });
    const role = defineRole({ ...base, workspace: undefined, tools: [notes] }, { dir: ROLES });
    assert.deepEqual(role.tools, ['fs.read']);
    assert.equal(role.workspace, undefined);
  });

  it("reports problems in the model script at the script's lines", () => {
    writeFileSync(join(tmp.path, 'bad.script.yaml'), 'turns:\n  - text: hi\n    final: 1\n');
    const issues = issuesOf({ ...base, model: 'script:./bad.script.yaml', workspace: undefined }, tmp.path);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.file, join(tmp.path, 'bad.script.yaml'));
    assert.equal(issues[0]!.line, 2);
    assert.match(issues[0]!.message, /exactly one of call, calls, escalate, final or text/);
  });

  it('gives the same version as the same role in a YAML file', async () => {
    const file = join(ROLES, 'refund.yaml');
    const fromYaml = await loadRoleFile(file);
    const inCode = defineRole(parse(readFileSync(file, 'utf8')) as DefineRoleInput, { dir: ROLES });
    assert.equal(inCode.version, fromYaml.version);
  });

  it('counts what an inline tool declares in the version', () => {
    const version = (tool: AnyTool) => defineRole({ ...base, tools: [tool] }, { dir: ROLES }).version;
    const again = defineTool({ ...lookup, run: () => ({ other: true }) });
    const writer = defineTool({ ...lookup, effect: 'write' });
    const gated = defineTool({ ...lookup, approval: 'always' });
    assert.equal(version(again), version(lookup));
    assert.notEqual(version(writer), version(lookup));
    assert.notEqual(version(gated), version(lookup));
  });

  // Reads became idempotent by default (isIdempotent) after roles were promoted under their old hash: a
  // read tool that does not say hashes as it did (`false`), or a code-defined role would no longer match
  // its active version and every run of it would be refused (ROLE_INVALID, versions.source: active).
  it('keeps the version of a role whose read tool does not say whether it is idempotent', () => {
    const version = (tool: AnyTool) => defineRole({ ...base, tools: [tool] }, { dir: ROLES }).version;
    const saidFalse = defineTool({ ...lookup, idempotent: false });
    const saidTrue = defineTool({ ...lookup, idempotent: true });
    assert.equal(version(lookup), version(saidFalse));
    assert.notEqual(version(lookup), version(saidTrue));
    // Spread into another definition it stays unsaid.
    assert.equal(version(defineTool({ ...lookup })), version(lookup));
  });
});
