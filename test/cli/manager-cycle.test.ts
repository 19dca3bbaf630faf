// A role whose manager path comes back to itself can never reach people: `validate`, `serve` and `mcp`
// refused it, but `run`, `eval`, `versions` and `promote` recorded runs and versions of it (and made the
// store). Each refuses it now as validate does, exit 2, at the role's `manager:` line, writing nothing.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-manager-cycle-');
after(() => tmp.cleanup());
const role = (name: string, manager: string) =>
  `name: ${name}\ndescription: d\nautonomy: full\nmodel: script:./s.yaml\ninstructions: i\nmanager: ${manager}\n`;
writeFileSync(join(tmp.path, 's.yaml'), 'turns:\n  - final: done\n');
writeFileSync(join(tmp.path, 'a.yaml'), role('a', './b.yaml'));
writeFileSync(join(tmp.path, 'b.yaml'), role('b', '{ role: ./a.yaml }'));
writeFileSync(join(tmp.path, 'e.yaml'), role('e', './e.yaml'));

describe('a role with a circular manager path', () => {
  it('is refused by run, eval, versions and promote as by validate, and no store is made', async () => {
    const dataDir = join(tmp.path, 'data');
    const commands: string[][] = [
      ['run', 'a.yaml'],
      ['run', 'e.yaml'],
      ['versions', 'a.yaml'],
      ['promote', 'a.yaml', '0000', '--as', 'ops'],
      ['eval', 'a.yaml'],
      ['validate', 'a.yaml'],
    ];
    for (const args of commands) {
      const out = await runCli([...args, '--data-dir', dataDir], { cwd: tmp.path });
      assert.equal(out.code, 2, `${args.join(' ')}: ${out.stdout}${out.stderr}`);
      assert.match(out.stderr, /[ae]\.yaml:6 manager: the manager path is a cycle: /, args.join(' '));
    }
    assert.ok(!existsSync(dataDir), 'nothing was written');
  });
});
