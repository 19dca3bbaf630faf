// `validate` names a manager file's problems as it names the role's own: relative to where it runs when
// the role's path was given relative, absolute when it was given absolute (it used to name the manager's
// file by its resolved absolute path beside the role's path as given).
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-manager-paths-');
after(() => tmp.cleanup());
const roles = join(tmp.path, 'roles');
mkdirSync(roles);
writeFileSync(join(roles, 's.yaml'), 'turns:\n  - final: { summary: done }\n');
writeFileSync(
  join(roles, 'lead.yaml'),
  'name: lead\ndescription: d\nautonomy: draft\nmodel: script:./s.yaml\ninstructions: hi\nbogus: 1\n',
);
writeFileSync(
  join(roles, 'worker.yaml'),
  'name: worker\ndescription: d\nautonomy: draft\nmodel: script:./s.yaml\ninstructions: hi\nmanager: ./lead.yaml\n',
);

describe("validate names a manager file's problems as the role's own", () => {
  it('relative when the role was given relative', async () => {
    const res = await runCli(['validate', 'roles/worker.yaml'], { cwd: tmp.path });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /^roles\/worker\.yaml:6 manager: manager role roles\/lead\.yaml is invalid/m);
    assert.match(res.stderr, /^roles\/lead\.yaml:6 bogus: unknown key 'bogus'/m);
    assert.ok(!res.stderr.includes(tmp.path), res.stderr);
  });

  it('absolute when the role was given absolute', async () => {
    const res = await runCli(['validate', join(roles, 'worker.yaml')], { cwd: tmp.path });
    assert.equal(res.code, 2);
    assert.ok(res.stderr.includes(`${join(roles, 'lead.yaml')}:6 bogus: unknown key 'bogus'`), res.stderr);
  });
});
