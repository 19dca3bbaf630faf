// Role files with YAML's odd corners, through `nightshift validate` as a user meets them: each problem at
// its line, in the file's own words. A key left out says `required`; a second document says so, not the
// YAML library's advice to its API's callers; duplicate keys, alias bombs, CRLF and a byte order mark
// keep working as before (guards, not fixes).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-yaml-');
after(() => tmp.cleanup());
writeFileSync(join(tmp.path, 's.yaml'), 'turns:\n  - final: { summary: done }\n');
const GOOD = 'name: t1\ndescription: d\nautonomy: draft\nmodel: script:./s.yaml\ninstructions: hi\n';

async function validate(name: string, text: string) {
  const file = join(tmp.path, name);
  writeFileSync(file, text);
  const out = await runCli(['validate', file]);
  return { code: out.code, text: `${out.stdout}${out.stderr}`.replaceAll(`${tmp.path}/`, '') };
}

describe('YAML oddities in a role file', () => {
  it('a role without autonomy: required, with the rungs it takes (not "got undefined")', async () => {
    const r = await validate('no-autonomy.yaml', GOOD.replace('autonomy: draft\n', ''));
    assert.equal(r.code, 2);
    assert.match(r.text, /no-autonomy\.yaml:1 autonomy: required: one of observe\|draft\|sandbox\|full\n/);
  });

  it("a second document (---) is named at its line, without the YAML library's API advice", async () => {
    const r = await validate('two-docs.yaml', `${GOOD}---\nname: t2\n`);
    assert.equal(r.code, 2);
    assert.match(r.text, /two-docs\.yaml:6: YAML: a second document starts here \(after `---`\)/);
    assert.doesNotMatch(r.text, /parseAllDocuments/);
  });

  it('a !!binary value is refused as such (ROLE_INVALID at its line:col), not as "got a mapping"', async () => {
    const r = await validate(
      'binary.yaml',
      GOOD.replace('instructions: hi', 'instructions: !!binary aGVsbG8='),
    );
    assert.equal(r.code, 2);
    assert.match(
      r.text,
      /binary\.yaml:5: YAML: the value at 5:24 is tagged !!binary, which is not supported/,
    );
    assert.doesNotMatch(r.text, /got a mapping/);
    const run = await runCli(['run', join(tmp.path, 'binary.yaml')]);
    assert.equal(run.code, 2);
    assert.match(
      run.stderr,
      /\[ROLE_INVALID\][\s\S]*binary\.yaml:5: YAML: the value at 5:24 is tagged !!binary, which is not supported/,
    );
    const block = await validate(
      'binary-block.yaml',
      GOOD.replace('description: d', 'description: !!binary |\n  aGVsbG8='),
    );
    assert.equal(block.code, 2);
    assert.match(
      block.text,
      /binary-block\.yaml:2: YAML: the value at 2:\d+ is tagged !!binary, which is not supported/,
    );
  });

  it('holds: duplicate keys, an alias bomb, CRLF line endings and a byte order mark', async () => {
    const dup = await validate(
      'dup.yaml',
      GOOD.replace('autonomy: draft\n', 'autonomy: draft\nautonomy: full\n'),
    );
    assert.match(dup.text, /dup\.yaml:4 autonomy: duplicate key \(already set at line 3\)/);
    const lol = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (const [i, n] of ['b', 'c', 'd', 'e', 'f', 'g', 'h'].entries())
      lol.push(`${n}: &${n} [${Array(9).fill(`*${'abcdefg'[i]}`).join(', ')}]`);
    const bomb = await validate('bomb.yaml', `${GOOD}${lol.join('\n')}\n`);
    assert.equal(bomb.code, 2);
    assert.match(bomb.text, /bomb\.yaml:7: YAML: its aliases \(\*name\) expand to too many values/);
    const crlf = await validate('crlf.yaml', GOOD.replace('draft', 'ful').replaceAll('\n', '\r\n'));
    assert.match(
      crlf.text,
      /crlf\.yaml:3 autonomy: expected one of observe\|draft\|sandbox\|full, got 'ful'/,
    );
    const bom = await validate('bom.yaml', `\uFEFF${GOOD}`);
    assert.equal(bom.code, 0, bom.text);
  });
});
