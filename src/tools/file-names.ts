// File names that display as something other than what they are. Unicode's bidirectional controls
// (U+202E RIGHT-TO-LEFT OVERRIDE and its kin, the "Trojan Source" characters) reorder the text after them:
// `invoice\u202Efdp.exe` shows as `invoiceexe.pdf`. The fs tools do not create or write such names, and
// escape them where they list names, so neither the model nor a person reading a listing, a drafted call
// or `show` is shown one name for another.

/**
 * The bidirectional formatting characters: ALM, LRM, RLM, the embeddings and overrides (LRE, RLE, PDF,
 * LRO, RLO) and the isolates (LRI, RLI, FSI, PDI).
 */
const BIDI_CONTROL = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;
const BIDI_CONTROLS = /[\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

const codePoint = (c: string) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * The name with each bidirectional control written as `\u202E` (and, so the result cannot be mistaken
 * for a name that holds those six characters, each backslash doubled); the name itself when it has none.
 */
export function escapeBidi(name: string): string {
  if (!BIDI_CONTROL.test(name)) return name;
  return name.replaceAll('\\', '\\\\').replace(BIDI_CONTROLS, (c) => `\\u${codePoint(c).slice(2)}`);
}

/** A listed name as the fs tools return it: escaped, and said to be, when it holds a bidirectional control. */
export function listedName(name: string): { name: string } | { name: string; escaped: true } {
  const escaped = escapeBidi(name);
  return escaped === name ? { name } : { name: escaped, escaped: true };
}

/** Why a path may not be created or written: it holds a bidirectional control (undefined when it has none). */
export function bidiProblem(path: string): string | undefined {
  const found = path.match(BIDI_CONTROL);
  if (!found) return undefined;
  return `the path '${escapeBidi(path)}' contains ${codePoint(found[0])}, a bidirectional control character that makes a name display as something other than it is; fs tools do not create or write such names`;
}
