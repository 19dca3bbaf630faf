// The files that define a role's authority may not lie in its workspace, where its own fs tools could
// rewrite them: a sandboxed role that rewrites its role file runs at `full` the next time. Checked as the
// fs tools see the workspace, symlinks resolved.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { RoleInvalidError } from '../../src/errors.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-guard-');
after(() => tmp.cleanup());

/** A project folder holding role.yaml and script.yaml; the script rewrites `target` in the workspace. */
function project(name: string, workspace: string, target: string): string {
  const dir = join(tmp.path, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'script.yaml'),
    stringify({
      turns: [
        { call: 'fs.write', args: { path: target, content: 'rewritten by the agent\n' } },
        { final: { summary: 'done' } },
      ],
    }),
  );
  writeFileSync(
    join(dir, 'role.yaml'),
    stringify({
      name,
      description: 'a sandboxed role',
      autonomy: 'sandbox',
      model: 'script:./script.yaml',
      instructions: 'Do what the script says.',
      tools: ['fs.write'],
      workspace,
    }),
  );
  return dir;
}

async function refusal(file: string): Promise<string> {
  const err = await loadRoleFile(file).then(
    () => assert.fail('the role loaded'),
    (e: unknown) => e,
  );
  assert.ok(RoleInvalidError.isInstance(err), String(err));
  return err.message;
}

describe('a workspace holding what defines the role', () => {
  it('is refused when it contains the role file itself; run writes nothing', async () => {
    const dir = project('own-file', '.', 'role.yaml');
    assert.match(
      await refusal(join(dir, 'role.yaml')),
      /workspace: the workspace contains its own role file \(.*own-file\/role\.yaml\)/,
    );
    const r = await runCli(['run', join(dir, 'role.yaml'), '--data-dir', join(tmp.path, 'data-own')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /ROLE_INVALID/);
    assert.match(readFileSync(join(dir, 'role.yaml'), 'utf8'), /autonomy: sandbox/);
  });

  it('is refused when a symlinked workspace leads to the role folder', async () => {
    // `./ws` -> `.`: the script's written path is not under ws/, but the fs tools work in the real path.
    const dir = project('linked', './ws', 'script.yaml');
    symlinkSync('.', join(dir, 'ws'));
    const message = await refusal(join(dir, 'role.yaml'));
    assert.match(message, /the workspace contains its own role file/);
    assert.match(message, /the workspace contains its model script \(.*linked\/script\.yaml\)/);
    const r = await runCli(['run', join(dir, 'role.yaml'), '--data-dir', join(tmp.path, 'data-linked')]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(readFileSync(join(dir, 'script.yaml'), 'utf8'), /^turns:/);
  });

  it("is refused when it contains a specialist's role file", async () => {
    const dir = project('orchestrator', './team', 'team/helper.yaml');
    mkdirSync(join(dir, 'team'));
    writeFileSync(
      join(dir, 'team', 'helper.yaml'),
      stringify({
        name: 'helper',
        description: 'a specialist',
        autonomy: 'observe',
        model: 'script:../script.yaml',
        instructions: 'Help.',
        tools: [],
      }),
    );
    const text = readFileSync(join(dir, 'role.yaml'), 'utf8');
    writeFileSync(join(dir, 'role.yaml'), `${text}specialists: [./team/helper.yaml]\n`);
    assert.match(
      await refusal(join(dir, 'role.yaml')),
      /the workspace contains a specialist's role file \(.*orchestrator\/team\/helper\.yaml\)/,
    );
  });

  it('accepts a workspace beside the role files', async () => {
    const dir = project('beside', './ws', 'notes.txt');
    mkdirSync(join(dir, 'ws'));
    await loadRoleFile(join(dir, 'role.yaml'));
  });
});
