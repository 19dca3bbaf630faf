// `serve <folder>` and `mcp <folder>` search folders for role files; a role's workspace may lie in that
// folder (the examples' layout: examples/workspaces/...). Before: a role file its fs.write put in its
// workspace was served at the next start, with the authority it gave itself (full autonomy, an MCP stdio
// command run outside the sandbox); a file there naming an existing role made `serve` exit 2.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { discoverRoleFiles } from '../../src/roles/discover.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-discover-');
after(() => tmp.cleanup());

function project(name: string, files: Record<string, string>): string {
  const root = join(tmp.path, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const role = (name: string, workspace?: string) =>
  `name: ${name}\nautonomy: sandbox\nmodel: script:./s.json\ninstructions: x\n${workspace ? `workspace: ${workspace}\n` : ''}`;

describe('finding role files in folders', () => {
  it("skips a role file that lies in a found role's workspace, saying whose", () => {
    const root = project('planted', {
      'janitor.yaml': role('janitor', './workspaces/maintenance'),
      'other.yaml': role('other'),
      'workspaces/maintenance/planted.yaml': role('planted', '/'),
      'workspaces/maintenance/deep/janitor.yaml': role('janitor'),
    });
    const { files, skipped } = discoverRoleFiles([root]);
    assert.deepEqual(files, [join(root, 'janitor.yaml'), join(root, 'other.yaml')]);
    assert.deepEqual(
      skipped.map((s) => [s.file, s.workspaceOf]),
      [
        [join(root, 'workspaces/maintenance/deep/janitor.yaml'), join(root, 'janitor.yaml')],
        [join(root, 'workspaces/maintenance/planted.yaml'), join(root, 'janitor.yaml')],
      ],
    );
  });

  it('sees a workspace through a symlink, and a workspace given relative to its role file', () => {
    const root = project('linked', {
      'roles/a.yaml': role('a', '../ws-link'),
      'real-ws/sub/p.yaml': role('p'),
    });
    symlinkSync(join(root, 'real-ws'), join(root, 'ws-link'));
    const { files, skipped } = discoverRoleFiles([root]);
    assert.deepEqual(files, [join(root, 'roles/a.yaml')]);
    assert.deepEqual(
      skipped.map((s) => s.file),
      [join(root, 'real-ws/sub/p.yaml')],
    );
  });

  // A planted file whose workspace holds the real roles and itself (`/`, `..`) is one the loader refuses:
  // it holds nothing, so the real roles are served and it is skipped.
  it('is not misled by a planted file whose workspace holds everything', () => {
    const root = project('everything', {
      'janitor.yaml': role('janitor', './ws'),
      'ws/planted.yaml': role('planted', '..'),
    });
    const { files, skipped } = discoverRoleFiles([root]);
    assert.deepEqual(files, [join(root, 'janitor.yaml')]);
    assert.deepEqual(
      skipped.map((s) => s.file),
      [join(root, 'ws/planted.yaml')],
    );
  });

  // Each lies in the other's workspace, and neither's holds itself: which is planted cannot be told from
  // the files, so neither is served (and the start fails, saying why) rather than the wrong one.
  it("serves none of the files that lie only in each other's workspaces", () => {
    const root = project('cycle', {
      'roles/janitor.yaml': role('janitor', '../ws'),
      'ws/planted.yaml': role('planted', '../roles'),
    });
    assert.throws(() => discoverRoleFiles([root]), {
      code: 'USAGE',
      message: /no role files found in .*: 2 found, each in a role's workspace/,
    });
  });

  it('trusts a file named on the command line, and what lies in no workspace', () => {
    const root = project('named', {
      'a.yaml': role('a', './ws'),
      'ws/b.yaml': role('b'),
      'c.yaml': role('c', './elsewhere'),
      'elsewhere/.keep': '',
    });
    const named = discoverRoleFiles([join(root, 'ws/b.yaml'), root]);
    assert.deepEqual(named.files, [join(root, 'ws/b.yaml'), join(root, 'a.yaml'), join(root, 'c.yaml')]);
    // Found by the search too, and skipped there: named once is enough.
    assert.deepEqual(
      named.skipped.map((s) => s.file),
      [join(root, 'ws/b.yaml')],
    );
  });
});
