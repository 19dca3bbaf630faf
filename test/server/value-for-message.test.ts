// valueForMessage: a value from a request (an id in the path, a header) as an API message quotes it. One
// line whatever was sent, nothing a terminal acts on or reorders, and a long value cut with its length.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  idForMessage,
  MESSAGE_TEXT_CHARS,
  MESSAGE_VALUE_CHARS,
  textForMessage,
  valueForMessage,
} from '../../src/message-text.js';

describe('valueForMessage', () => {
  it('quotes a value JSON-style, so a plain id reads as it is', () => {
    assert.equal(valueForMessage('run_01jabc'), '"run_01jabc"');
    assert.equal(valueForMessage('a "b" \\c'), '"a \\"b\\" \\\\c"');
    assert.equal(valueForMessage(''), '""');
  });

  it('escapes the C0 and C1 controls, DEL, the bidi controls and the line separators', () => {
    const cases: [string, string][] = [
      ['a\nb\rc\td\u0000', '"a\\nb\\rc\\td\\u0000"'],
      ['\u001b[2J', '"\\u001b[2J"'],
      ['\u009b2J\u007f', '"\\u009b2J\\u007f"'],
      ['invoice\u202Efdp.exe', '"invoice\\u202efdp.exe"'],
      ['\u2066x\u2069\u200e\u061c', '"\\u2066x\\u2069\\u200e\\u061c"'],
      ['a\u2028b\u2029c', '"a\\u2028b\\u2029c"'],
    ];
    for (const [value, shown] of cases) assert.equal(valueForMessage(value), shown, JSON.stringify(value));
  });

  it('keeps a value of the longest id whole, and cuts a longer one, saying how long it was', () => {
    const longest = 'r'.repeat(MESSAGE_VALUE_CHARS);
    assert.equal(valueForMessage(longest), `"${longest}"`);
    assert.equal(
      valueForMessage('x'.repeat(5000)),
      `"${'x'.repeat(200)}"… (cut: 5,000 characters, the first 200 shown)`,
    );
  });

  it('counts and cuts by characters, never splitting a surrogate pair', () => {
    // 300 emoji: 600 UTF-16 code units, cut after the 200th emoji, not in the middle of one.
    const shown = valueForMessage('😀'.repeat(300));
    assert.equal(shown, `"${'😀'.repeat(200)}"… (cut: 300 characters, the first 200 shown)`);
    assert.equal(valueForMessage('\ud800'), '"\\ud800"', 'a lone surrogate is escaped, not sent raw');
  });
});

// textForMessage: words that may quote the request (zod's `Unrecognized key: "…"`, a `got '…'`), kept as
// they read, with only what would break the line or reorder it escaped.
describe('textForMessage', () => {
  it('leaves a message without controls as it is, other scripts and emoji included', () => {
    for (const text of ['body: (whole): Unrecognized key: "colour"', "limit: got ' 5'", 'rôle ünknown 😀'])
      assert.equal(textForMessage(text), text);
  });

  it('escapes the C0 and C1 controls, DEL, the bidi controls and the line separators', () => {
    const cases: [string, string][] = [
      ['Unrecognized key: "a\u202E\nb"', 'Unrecognized key: "a\\u202e\\u000ab"'],
      ['a\rb\tc\u0000\u001b[2J', 'a\\u000db\\u0009c\\u0000\\u001b[2J'],
      [
        '\u009b2J\u007f\u2066\u2069\u200e\u061c\u2028\u2029',
        '\\u009b2J\\u007f\\u2066\\u2069\\u200e\\u061c\\u2028\\u2029',
      ],
    ];
    for (const [text, shown] of cases) assert.equal(textForMessage(text), shown, JSON.stringify(text));
  });

  it('cuts a text past MESSAGE_TEXT_CHARS characters, saying how long it was', () => {
    const longest = 'k'.repeat(MESSAGE_TEXT_CHARS);
    assert.equal(textForMessage(longest), longest);
    assert.equal(
      textForMessage('😀'.repeat(MESSAGE_TEXT_CHARS + 1)),
      `${'😀'.repeat(MESSAGE_TEXT_CHARS)}… (cut: 2,001 characters, the first 2000 shown)`,
    );
  });
});

// idForMessage: an id someone gave, as the runtime's messages name it (`no run run_…`).
describe('idForMessage', () => {
  it('shows an id that reads as one as it is, the way the CLI has always worded it', () => {
    for (const id of ['run_01jabc', 'apr_1', 'T-9/x:y', 'r'.repeat(MESSAGE_VALUE_CHARS)])
      assert.equal(idForMessage(id), id);
  });

  it('quotes any other id with valueForMessage: a space, a control, a bidi control, non-ASCII, too long', () => {
    for (const id of [
      'run 1',
      'run_\nforged',
      'run_\u202Eexe',
      'rün',
      '',
      'r'.repeat(MESSAGE_VALUE_CHARS + 1),
    ])
      assert.equal(idForMessage(id), valueForMessage(id), JSON.stringify(id));
    assert.equal(idForMessage('run_\u202E\n'), '"run_\\u202e\\n"');
  });
});
