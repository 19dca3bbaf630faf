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

  it('does not take a joiner for spelling when its neighbour is itself a disguising character', () => {
    // Each ZWNJ of a doubled pair has a Persian letter on one side and the other ZWNJ on the other; a
    // ZWJ between a Persian letter and an RLO likewise. Counting those neighbours as letters outside ASCII
    // would let the pair pass as spelling.
    for (const [name, first] of [
      ['می\u200C\u200Cخواهم.txt', 'U\\+200C, a zero-width'],
      ['می\u200D\u202Eخواهم.txt', 'U\\+200D, a zero-width'],
      ['می\u202Eخواهم.txt', 'U\\+202E, a bidirectional control'],
    ] as const) {
      assert.match(disguisedNameProblem(name) ?? '', new RegExp(first), name);
    }
    assert.equal(escapeDisguisedName('a\\b\u200C\u200Cمی'), 'a\\\\b\\u200C\\u200Cمی');
    // Spelling joiners alone leave the name, backslashes and all, as it is.
    assert.equal(escapeDisguisedName('a\\می\u200Cخواهم'), 'a\\می\u200Cخواهم');
  });
});
