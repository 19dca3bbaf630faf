// The role's `executor:` settings: validated at load, with the line of the problem.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { RoleInvalidError } from '../../src/errors.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-executor-role-');
after(() => tmp.cleanup());
mkdirSync(join(tmp.path, 'ws'));

function roleFile(name: string, autonomy: string, model: string, executor: string): string {
  const file = join(tmp.path, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'description: d',
      `autonomy: ${autonomy}`,
      `model: ${model}`,
      'instructions: i',
      'tools: [fs.read, fs.write]',
      'workspace: ./ws',
      executor,
      '',
    ].join('\n'),
  );
  return file;
}

describe('executor settings in a role', () => {
  it('accepts danger-full-access for codex at full', async () => {
    const role = await loadRoleFile(
      roleFile('a', 'full', 'codex:gpt-5', 'executor: { codexSandbox: danger-full-access }'),
    );
    assert.deepEqual(role.executor, { codexSandbox: 'danger-full-access' });
  });

  it('refuses danger-full-access below full, at its line', async () => {
    await assert.rejects(
      loadRoleFile(roleFile('b', 'sandbox', 'codex:gpt-5', 'executor:\n  codexSandbox: danger-full-access')),
      (err: unknown) => {
        assert.ok(err instanceof RoleInvalidError);
        assert.match(
          err.message,
          /b\.yaml:9 executor\.codexSandbox: danger-full-access turns Codex's sandbox off/,
        );
        return true;
      },
    );
  });

  it('refuses unknown values and unknown keys, and settings on a model that is not an executor', async () => {
    await assert.rejects(
      loadRoleFile(roleFile('c', 'full', 'codex:gpt-5', 'executor: { codexSandbox: none }')),
      RoleInvalidError,
    );
    await assert.rejects(
      loadRoleFile(roleFile('d', 'full', 'codex:gpt-5', 'executor: { sandbox: x }')),
      RoleInvalidError,
    );
    await assert.rejects(
      loadRoleFile(
        roleFile('e', 'full', 'anthropic:claude-sonnet-4-5', 'executor: { codexSandbox: workspace-write }'),
      ),
      /executor settings apply only to claude-code: and codex: models/,
    );
  });

  it('leaves the version of a role without executor settings as it was', async () => {
    const role = await loadRoleFile(roleFile('f', 'full', 'codex:gpt-5', ''));
    assert.equal(role.executor, undefined);
  });
});
