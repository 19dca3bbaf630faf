// What the CLI prints for people, made safe for a terminal. Much of it was written by a model (tool
// arguments, outputs, escalation reasons) or by whoever sent an event: an ESC starts a terminal command
// (clear the screen, move the cursor, set the title), a CR or a newline lets text overwrite or forge a line
// ("→ nightshift approve …"), and a bidi control (U+202E) shows `a‮txt.exe` as `aexe.txt`. Every such
// character is printed as an escape (`\x1b`, `\u202e`) instead, on a TTY and in piped output alike, so what
// a person reads is what is stored. `--json` is left exact: JSON.stringify already escapes C0 controls and
// a program reading it wants the stored value.
import { BIDI_CONTROLS } from '../bidi-controls.js';

/**
 * Controls (C0, DEL, C1: `\p{Cc}`) and the characters that reorder or hide text: bidi marks, embeddings,
 * overrides and isolates (U+061C, U+200E/F, U+202A–E, U+2066–9), and the line and paragraph separators
 * (U+2028/9) some terminals break lines at.
 */
const UNSAFE = new RegExp(`[\\p{Cc}${BIDI_CONTROLS}\u2028\u2029]`, 'gu');

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escaped(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  // C1 controls as \u0085, not \x85: the human output's pretty-printed JSON (where JSON.stringify left
  // them raw) stays JSON.
  return code < 0x80
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** Text for a terminal: keeps its line breaks (and tabs), escapes every other control and bidi character. */
export function printable(text: string): string {
  return text.replace(UNSAFE, (char) => (char === '\n' || char === '\t' ? char : escaped(char)));
}

/** Text that is one line of the output (a step, an inbox entry): a newline or CR in it is escaped too. */
export function oneLine(text: string): string {
  return text.replace(UNSAFE, escaped);
}

/**
 * The last pass over everything the CLI writes (Output): `printable` for text that no command escaped,
 * without changing what JSON means. JSON.stringify escapes C0 controls but leaves DEL, C1 controls (U+009B
 * is a CSI on terminals that read 8-bit controls) and bidi characters raw; each is written as `\uXXXX`
 * here, which a JSON reader turns back into the same character, so --json stays exact after parsing.
 * Text already printable passes through unchanged.
 */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => {
    if (char === '\n' || char === '\t') return char;
    const code = char.charCodeAt(0);
    return code < 0x7f ? escaped(char) : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
