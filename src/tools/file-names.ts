// File names that display as something other than what they are. Unicode's bidirectional controls
// (U+202E RIGHT-TO-LEFT OVERRIDE and its kin, the "Trojan Source" characters) reorder the text after them:
// `invoice\u202Efdp.exe` shows as `invoiceexe.pdf`; zero-width characters show as nothing, so
// `report\u200B.pdf` looks like `report.pdf`, a different file. The fs tools do not create or write such
// names, and escape them where they list names, so neither the model nor a person reading a listing, a
// drafted call or `show` is shown one name for another.
import { BIDI_CONTROLS } from '../bidi-controls.js';

/** The zero-width characters: ZWSP, ZWNJ, ZWJ, WORD JOINER and ZWNBSP (the byte order mark). */
const ZERO_WIDTH = '\u200B-\u200D\u2060\uFEFF';
/**
 * One regex for every use: global for `matchAll` and `replace` (both start from 0 whatever `lastIndex`
 * is), and `search`, which ignores the flag and `lastIndex`, for a single character; never `test`, whose
 * global form is stateful.
 */
const DISGUISING = new RegExp(`[${BIDI_CONTROLS}${ZERO_WIDTH}]`, 'g');
const ZERO_WIDTH_CHARACTER = new RegExp(`[${ZERO_WIDTH}]`);

/**
 * ZWNJ and ZWJ are also spelling: ZWNJ inside Persian and Indic words, ZWJ inside emoji sequences. Between
 * two characters outside ASCII (neither of them a control of this kind) they are taken as such and allowed;
 * next to an ASCII character or at an end (`report\u200D.pdf`) they only disguise.
 */
const JOINERS = '\u200C\u200D';
function spelling(name: string, at: number): boolean {
  if (!JOINERS.includes(name[at]!)) return false;
  const before = name.codePointAt(at - 1 >= 0 && /[\uDC00-\uDFFF]/.test(name[at - 1]!) ? at - 2 : at - 1);
  const after = name.codePointAt(at + 1);
  const outsideAscii = (c: number | undefined) =>
    c !== undefined && c > 0x7f && String.fromCodePoint(c).search(DISGUISING) < 0;
  return at > 0 && outsideAscii(before) && outsideAscii(after);
}
/** Where the first disguising character is (joiners used as spelling skipped), or -1. */
function firstDisguising(name: string): number {
  for (const m of name.matchAll(DISGUISING)) if (!spelling(name, m.index)) return m.index;
  return -1;
}

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The name with each bidirectional control or zero-width character written as `\u202E` (and, so the
 * result cannot be mistaken for a name that holds those six characters, each backslash doubled); the
 * name itself when it has none.
 */
export function escapeDisguisedName(name: string): string {
  if (firstDisguising(name) < 0) return name;
  return name
    .replaceAll('\\', '\\\\')
    .replace(DISGUISING, (c, at: number, whole: string) =>
      spelling(whole, at) ? c : `\\u${codePoint(c).slice(2)}`,
    );
}

/** A listed name as the fs tools return it: escaped, and said to be, when it holds one of those characters. */
export function listedName(name: string): { name: string } | { name: string; escaped: true } {
  const escaped = escapeDisguisedName(name);
  return escaped === name ? { name } : { name: escaped, escaped: true };
}

/**
 * Why a path may not be created or written: it holds a bidirectional control or a zero-width character
 * (undefined when it has neither).
 */
export function disguisedNameProblem(path: string): string | undefined {
  const at = firstDisguising(path);
  if (at < 0) return undefined;
  const found = [String.fromCodePoint(path.codePointAt(at)!)];
  const what = ZERO_WIDTH_CHARACTER.test(found[0]!)
    ? 'a zero-width character that makes a name look like another'
    : 'a bidirectional control character that makes a name display as something other than it is';
  return `the path '${escapeDisguisedName(path)}' contains ${codePoint(found[0]!)}, ${what}; fs tools do not create or write such names`;
}

/**
 * The order the fs tools give names in: by UTF-16 code unit, as `<` compares strings. The same on every
 * machine; `localeCompare` follows the process's locale (LANG, ICU data), so a search cut short at its
 * `maxResults` could keep other matches on another machine, and fs.search's order disagreed with fs.list's.
 */
export const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
