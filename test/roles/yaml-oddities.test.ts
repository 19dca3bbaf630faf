// Role files with YAML's odd corners, through `nightshift validate` as a user meets them: each problem at
// its line, in the file's own words. A key left out says `required`; a second document says so, not the
// YAML library's advice to its API's callers; duplicate keys, alias bombs, CRLF and a byte order mark
// keep working as before (guards, not fixes).
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
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

  it('a YAML merge key (<<: *base) is refused as unsupported at its line, not as a plain unknown key', async () => {
    const r = await validate(
      'merge.yaml',
      'base: &base\n  maxSteps: 3\nname: t1\ndescription: d\nautonomy: draft\nmodel: script:./s.yaml\ninstructions: hi\nbudget:\n  <<: *base\n',
    );
    assert.equal(r.code, 2);
    assert.match(
      r.text,
      /merge\.yaml:9 budget\.<<: YAML merge keys \('<<: \*anchor'\) are not supported: write the keys out/,
    );
  });

  it('a << key inside a free-form value (an input schema, a script answer) is refused too, with its path; a quoted one is a key', async () => {
    // Before: kept as a key named "<<", so the schema gained a property of that name and refused every
    // input (additionalProperties: false), and a script's final answer held {"<<": …}.
    const r = await validate(
      'merge-free.yaml',
      `${GOOD}input:\n  type: object\n  properties:\n    <<: { ticket: { type: string } }\n  additionalProperties: false\n`,
    );
    assert.equal(r.code, 2);
    assert.match(
      r.text,
      /merge-free\.yaml:9 input\.properties\.<<: YAML merge keys \('<<: \*anchor'\) are not supported/,
    );
    writeFileSync(join(tmp.path, 'merge-final.script.yaml'), 'turns:\n  - final: { <<: { a: 1 } }\n');
    const s = await validate('merge-final.yaml', GOOD.replace('./s.yaml', './merge-final.script.yaml'));
    assert.equal(s.code, 2);
    assert.match(s.text, /merge-final\.script\.yaml:2 turns\[0\]\.final\.<<: YAML merge keys/);
    const quoted = await validate(
      'quoted-key.yaml',
      `${GOOD}input:\n  type: object\n  properties:\n    '<<': { type: string }\n`,
    );
    assert.equal(quoted.code, 0, quoted.text);
  });

  it('a %YAML 1.1 directive is refused at its line: under it the reader would merge << keys and read yes as true', async () => {
    // Before: validate said ok and the run used the merged budget.
    const r = await validate('yaml11.yaml', `%YAML 1.1\n---\n${GOOD}budget:\n  <<: { maxSteps: 1 }\n`);
    assert.equal(r.code, 2);
    assert.match(r.text, /yaml11\.yaml:1: YAML: %YAML 1\.1 is not supported: nightshift reads YAML 1\.2/);
    const v12 = await validate('yaml12.yaml', `%YAML 1.2\n---\n${GOOD}`);
    assert.equal(v12.code, 0, v12.text);
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

  it('!!set, !!omap, !!timestamp and unknown tags are refused at their line:col like !!binary', async () => {
    const cases: [string, string, RegExp][] = [
      [
        'set.yaml',
        `${GOOD}tools: !!set {fs.read, fs.list}\n`,
        /set\.yaml:6: YAML: the value at 6:14 is tagged !!set, which is not supported .*write the value as a list/,
      ],
      [
        'omap.yaml',
        `${GOOD}tools: !!omap [a: 1]\n`,
        /omap\.yaml:6: YAML: the value at 6:15 is tagged !!omap, which is not supported .*write the value as a list/,
      ],
      [
        'when.yaml',
        GOOD.replace('description: d', 'description: !!timestamp 2001-12-14'),
        /when\.yaml:2: YAML: the value at 2:26 is tagged !!timestamp, which is not supported/,
      ],
      [
        'custom.yaml',
        GOOD.replace('instructions: hi', 'instructions: !shout hi'),
        /custom\.yaml:5: YAML: the value at 5:22 is tagged !shout, which is not supported/,
      ],
    ];
    for (const [name, text, expected] of cases) {
      const r = await validate(name, text);
      assert.equal(r.code, 2, r.text);
      assert.match(r.text, expected);
      assert.doesNotMatch(r.text, /got a mapping|got a list/);
    }
    // JSON's own types, tagged, still work.
    const plain = await validate('plain-tags.yaml', GOOD.replace('description: d', 'description: !!str 12'));
    assert.equal(plain.code, 0, plain.text);
    // nightshift.config.yaml: the same refusal (CONFIG_INVALID, exit 2), deep inside, before any run.
    const project = tempDir('nightshift-yaml-config-');
    try {
      writeFileSync(join(project.path, 's.yaml'), 'turns:\n  - final: { summary: done }\n');
      writeFileSync(join(project.path, 'role.yaml'), GOOD);
      writeFileSync(
        join(project.path, 'nightshift.config.yaml'),
        'serve:\n  port: 7070\npeople:\n  - name: alice\n    decides: !!set {refund-*}\n',
      );
      const run = await runCli(['run', 'role.yaml', '--data-dir', join(project.path, 'data')], {
        cwd: project.path,
      });
      assert.equal(run.code, 2, run.stderr);
      assert.match(
        run.stderr,
        /\[CONFIG_INVALID\][\s\S]*nightshift\.config\.yaml:5: YAML: the value at 5:20 is tagged !!set, which is not supported/,
      );
      assert.equal(existsSync(join(project.path, 'data')), false);
    } finally {
      project.cleanup();
    }
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

describe('YAML that parses but no role can hold, said by nightshift alone', () => {
  it('a key that is a list is refused at its own line, and yaml prints no warning of its own', async () => {
    const r = await validate('list-key.yaml', `${GOOD}? [a, b]\n: c\n`);
    assert.equal(r.code, 2, r.text);
    assert.match(r.text, /list-key\.yaml:6: YAML: the key at 6:3 is a list; keys are text/);
    assert.doesNotMatch(r.text, /Warning|stringified|mapAsMap/);
    // An alias naming a list, written as a key, is such a key too, reported where the alias stands.
    const alias = await validate('alias-key.yaml', `${GOOD}x: &k [a, b]\n*k : 1\n`);
    assert.equal(alias.code, 2, alias.text);
    assert.match(alias.text, /alias-key\.yaml:7: YAML: the key at 7:1 is a list; keys are text/);
    assert.doesNotMatch(alias.text, /Warning|stringified|mapAsMap/);
  });

  it('what yaml only warns of (a tag that does not fit its value, an unknown directive) is refused at its line', async () => {
    const misfit = await validate('misfit.yaml', `${GOOD}scope:\n  commands: !!map [ls]\n`);
    assert.equal(misfit.code, 2, misfit.text);
    assert.match(misfit.text, /misfit\.yaml:7: YAML: .*\(at 7:\d+\)/);
    assert.doesNotMatch(misfit.text, /YAMLWarning|TAG_RESOLVE_FAILED/);
    const directive = await validate('directive.yaml', `%FOO bar\n---\n${GOOD}`);
    assert.equal(directive.code, 2, directive.text);
    assert.match(directive.text, /directive\.yaml:1: YAML: /);
    // A style warning changes nothing: a flow list closed at its key's indent still loads.
    const style = await validate('style.yaml', `${GOOD}tools: [\n  http.fetch,\n]\n`);
    assert.equal(style.code, 0, style.text);
  });

  it('an unknown tag is reported once, in nightshift words, without a YAMLWarning on stderr', async () => {
    const r = await validate('tag.yaml', `${GOOD}budget: !foo { maxSteps: 3 }\n`);
    assert.equal(r.code, 2, r.text);
    assert.match(r.text, /tag\.yaml:6: YAML: the value at 6:14 is tagged !foo/);
    assert.doesNotMatch(r.text, /YAMLWarning|TAG_RESOLVE_FAILED/);
  });

  it('a value nested a thousand levels deep is "nested too deeply", not a stack overflow', async () => {
    const r = await validate('deep.yaml', `${GOOD}output: ${'['.repeat(1000)}${']'.repeat(1000)}\n`);
    assert.equal(r.code, 2, r.text);
    assert.match(r.text, /deep\.yaml:6: YAML: the value at 6:\d+ is nested too deeply to read/);
    assert.doesNotMatch(r.text, /call stack/);
  });
});
