// Files a person writes that are not UTF-8 (a role saved as Latin-1 or as UTF-16, a run's input file) are
// refused at the line and column of the first byte that is not UTF-8, instead of being read with each such
// byte turned into U+FFFD (instructions changed without a word) or, for UTF-16, reported as "expected a
// YAML mapping".
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { notUtf8 } from '../../src/config/capped-read.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-utf8-');
const at = (name: string) => join(tmp.path, name);
writeFileSync(at('s.yaml'), 'turns:\n  - final: { summary: done }\n');
const roleText = (instructions: string) =>
  `name: t1\ndescription: d\nautonomy: draft\nmodel: script:./s.yaml\ninstructions: "${instructions}"\n`;

describe('files that are not UTF-8', () => {
  it('validate and run refuse a Latin-1 role file at its line and column, and make no store', async () => {
    writeFileSync(
      at('latin1.yaml'),
      Buffer.concat([Buffer.from(roleText('caf').slice(0, -2)), Buffer.from([0xe9, 0x22, 0x0a])]),
    );
    const v = await runCli(['validate', at('latin1.yaml')]);
    assert.equal(v.code, 2, v.stdout);
    assert.match(
      v.stderr,
      /latin1\.yaml:5: not UTF-8 text: byte 0xE9 at line 5, column 19 is not part of any UTF-8 character/,
    );
    const run = await runCli(['run', at('latin1.yaml'), '--data-dir', at('store')]);
    assert.equal(run.code, 2, run.stdout);
    assert.match(run.stderr, /\[ROLE_INVALID\].*\n.*latin1\.yaml:5: not UTF-8 text/);
    assert.equal(existsSync(at('store')), false);
  });

  it('a UTF-16 role file is said to be UTF-16, not "expected a YAML mapping"', async () => {
    const text = roleText('hi');
    writeFileSync(at('utf16.yaml'), Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]));
    const v = await runCli(['validate', at('utf16.yaml')]);
    assert.equal(v.code, 2, v.stdout);
    assert.match(v.stderr, /utf16\.yaml:1: not UTF-8 text: it is UTF-16/);
  });

  it('UTF-8 with a byte order mark and characters outside ASCII is read as before', async () => {
    writeFileSync(at('ok.yaml'), `\uFEFF${roleText('café ☕ 𝄞')}`);
    const v = await runCli(['validate', at('ok.yaml')]);
    assert.equal(v.code, 0, v.stderr);
  });

  it('run --input-file that is not UTF-8 exits 2 before anything is recorded', async () => {
    writeFileSync(at('ok2.yaml'), roleText('hi'));
    writeFileSync(
      at('in.json'),
      Buffer.concat([Buffer.from('{"a":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]),
    );
    const run = await runCli(['run', at('ok2.yaml'), '--input-file', at('in.json'), '--data-dir', at('s2')]);
    assert.equal(run.code, 2, run.stdout);
    assert.match(
      run.stderr,
      /\[USAGE\]: --input-file .*in\.json: not UTF-8 text: byte 0xE9 at line 1, column 10/,
    );
    assert.equal(existsSync(at('s2')), false);
  });

  it('finds the start of the bad sequence, counting columns in characters', () => {
    assert.equal(notUtf8(Buffer.from('a\nb€c')), undefined);
    // A cut-off 3-byte sequence at the very end, after a 3-byte character on line 2.
    assert.deepEqual(notUtf8(Buffer.concat([Buffer.from('a\n€x'), Buffer.from([0xe2, 0x82])])), {
      line: 2,
      column: 3,
      byte: 0xe2,
      utf16: false,
    });
    // A lead byte followed by ASCII: the lead byte is where it goes wrong.
    assert.deepEqual(notUtf8(Buffer.from([0x61, 0xc3, 0x28, 0x62])), {
      line: 1,
      column: 2,
      byte: 0xc3,
      utf16: false,
    });
  });
});
