// The characters that reorder text shown (one definition for the CLI's output, the pages serve makes,
// the log, the API's messages and the file names fs tools refuse): a model's or a sender's U+202E shows
// `invoice\u202Efdp.exe` as `invoiceexe.pdf`.

/**
 * The bidirectional formatting characters, as the inside of a regex character class: ALM, LRM, RLM, the
 * embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and the isolates (LRI, RLI, FSI, PDI).
 */
export const BIDI_CONTROLS = '\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069';

// What JSON leaves raw that a terminal acts on or reorders: DEL, the C1 controls (U+009B is a CSI where
// a terminal reads 8-bit controls), the bidi controls and the line separators. serve's log goes to the
// operator's terminal, and a line quotes a model's or a sender's text (a run's error, an event's field);
// an API message quotes an id from the request, which a client may print.
/** A UTF-16 code unit as the `\\uXXXX` escape JSON and JavaScript read back as the same character. */
export const unicodeEscape = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

const RAW_IN_JSON = new RegExp(`[\u007f-\u009f${BIDI_CONTROLS}\u2028\u2029]`, 'g');

/**
 * JSON text with those characters as JSON `\u` escapes: the same JSON value, nothing a terminal acts on.
 *
 * @example
 * terminalSafeJsonLine(JSON.stringify('a\u202Eb')) // '"a\\u202eb"'
 */
export function terminalSafeJsonLine(line: string): string {
  RAW_IN_JSON.lastIndex = 0;
  if (!RAW_IN_JSON.test(line)) return line;
  return line.replace(RAW_IN_JSON, unicodeEscape);
}
