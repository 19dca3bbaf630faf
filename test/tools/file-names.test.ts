import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { disguisedNameProblem, escapeDisguisedName } from '../../src/tools/file-names.js';

describe('disguised file names', () => {
  it('allows ZWNJ and ZWJ as spelling: inside a Persian word, inside an emoji sequence', () => {
    const persian = 'می\u200Cخواهم.txt'; // "I want": ZWNJ between two Persian letters
    const family = 'notes-👩\u200D💻.md'; // woman technologist: ZWJ between two emoji
    for (const name of [persian, family]) {
      assert.equal(disguisedNameProblem(name), undefined, name);
      assert.equal(escapeDisguisedName(name), name);
    }
  });

  it('refuses and escapes them where they only disguise: next to ASCII, or at an end', () => {
    for (const name of ['report\u200D.pdf', 'a\u200Cb.txt', '\u200Cمی.txt', 'می\u200C']) {
      assert.match(disguisedNameProblem(name) ?? '', /U\+200[CD], a zero-width character/, name);
      assert.match(escapeDisguisedName(name), /\\u200[CD]/);
    }
    // Other zero-width characters are never spelling, whatever their neighbours.
    assert.match(disguisedNameProblem('می\u200Bخواهم') ?? '', /U\+200B/);
  });
});
