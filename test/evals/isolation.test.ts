// An eval's workspace copies are copies of the files, whatever the path to them is: a role's workspace
// (or a case's fixture) given as a symlink to a folder used to be "copied" as the symlink itself, so the
// case's fs.write landed in the real folder (docs/evals.md "Isolation": the real workspace is never
// written). Real SQLite store, scripted model, real fs tools.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runSuite } from '../../src/evals/run-suite.js';
import { loadSuite } from '../../src/evals/suite-file.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-eval-isolation-');
after(() => tmp.cleanup());

describe('eval isolation: symlinked workspaces', () => {
  it('copies the folder a symlinked workspace or fixture points at, never writing the real one', async () => {
    const dir = join(tmp.path, 'project');
    for (const d of ['real-ws', 'real-fixture']) {
      mkdirSync(join(dir, d), { recursive: true });
      writeFileSync(join(dir, d, 'ticket.txt'), 'a ticket\n');
    }
    symlinkSync('real-ws', join(dir, 'ws'));
    symlinkSync('real-fixture', join(dir, 'fixture'));
    writeFileSync(
      join(dir, 'writer.script.yaml'),
      JSON.stringify({
        turns: [
          { call: 'fs.write', args: { path: 'note.md', content: 'written by an eval' } },
          { final: { summary: 'noted' } },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'writer.yaml'),
      `name: writer
description: Writes a note
autonomy: full
model: script:./writer.script.yaml
instructions: Write a note.
tools: [fs.write]
workspace: ./ws
`,
    );
    const suite = join(dir, 'writer.evals.yaml');
    writeFileSync(
      suite,
      `cases:
  - name: in-the-role-workspace
    input: { ticket: a }
    expect: { tools: { ran: [fs.write] } }
  - name: in-a-fixture
    workspace: ./fixture
    input: { ticket: b }
    expect: { tools: { ran: [fs.write] } }
`,
    );
    const role = await loadRoleFile(join(dir, 'writer.yaml'));
    const result = await runSuite(role, loadSuite(suite), { tmpRoot: tmp.path });
    assert.equal(result.ok, true, JSON.stringify(result.runs.filter((r) => !r.passed)));
    assert.equal(existsSync(join(dir, 'real-ws', 'note.md')), false, 'the eval wrote the real workspace');
    assert.equal(existsSync(join(dir, 'real-fixture', 'note.md')), false, 'the eval wrote the real fixture');
  });
});
