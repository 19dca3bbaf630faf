// Text for an error message that may quote what someone sent: a request's key or value in zod's words, a
// run input's property name in a schema error, an id from a request path or an MCP tool's arguments. One
// definition for the API, the events door, the MCP server and the engine.
import { BIDI_CONTROLS, terminalSafeJsonLine, unicodeEscape } from './bidi-controls.js';

/** Characters of a message's text kept whole (textForMessage): far more than any message the API words. */
export const MESSAGE_TEXT_CHARS = 2000;

// Every character that could break a message's one line or reorder what it shows: the C0 controls (a
// newline forges a line where a client prints the message), DEL, the C1 controls, bidi and line separators.
const UNSAFE_IN_MESSAGE = new RegExp(`[\u0000-\u001f\u007f-\u009f${BIDI_CONTROLS}\u2028\u2029]`, 'g');

/**
 * Text that may quote the request (zod's words about a body or a query: `Unrecognized key: "…"` names a
 * key as sent, a `got '…'` a value as sent) for an error message: each character of UNSAFE_IN_MESSAGE as
 * a `\uXXXX` escape, so the message stays one line that shows what was sent, in order; past
 * MESSAGE_TEXT_CHARS characters cut, with a marker saying how long it was.
 *
 * @example
 * textForMessage('Unrecognized key: "a\u202E\nb"') // 'Unrecognized key: "a\\u202e\\u000ab"'
 */
export function textForMessage(text: string): string {
  UNSAFE_IN_MESSAGE.lastIndex = 0;
  const safe = UNSAFE_IN_MESSAGE.test(text) ? text.replace(UNSAFE_IN_MESSAGE, unicodeEscape) : text;
  const chars = [...safe];
  if (chars.length <= MESSAGE_TEXT_CHARS) return safe;
  return `${chars.slice(0, MESSAGE_TEXT_CHARS).join('')}${cutMarker(chars.length, MESSAGE_TEXT_CHARS)}`;
}

/** What follows the part of a long text a message shows (code points, so a pair is never split). */
function cutMarker(length: number, shown: number): string {
  return `… (cut: ${length.toLocaleString('en-US')} characters, the first ${shown} shown)`;
}

/** Characters of a value a message quotes whole (an id in a path is at most 200: api/schemas/common.ts). */
export const MESSAGE_VALUE_CHARS = 200;

/**
 * A value taken from the request (an id in the path, a header) for an error message: quoted as a JSON
 * string (a quote, a backslash and the C0 controls escaped), with DEL, the C1, bidi and line-separator
 * characters escaped too (bidi-controls.ts), so a message stays one line that shows what was sent, in
 * order; past MESSAGE_VALUE_CHARS characters (code points, so a pair is never split) cut, with a marker
 * saying how long it was. A path keeps pathForMessage: its %-escapes are how it was sent.
 *
 * @example
 * valueForMessage('run_1\u202E\n') // '"run_1\\u202e\\n"'
 */
export function valueForMessage(value: string): string {
  const chars = [...value];
  if (chars.length <= MESSAGE_VALUE_CHARS) return terminalSafeJsonLine(JSON.stringify(value));
  const shown = terminalSafeJsonLine(JSON.stringify(chars.slice(0, MESSAGE_VALUE_CHARS).join('')));
  return `${shown}${cutMarker(chars.length, MESSAGE_VALUE_CHARS)}`;
}

/** What an id that reads as one looks like: visible ASCII (run_…, apr_…, a caller's own key), not too long. */
const PLAIN_ID = new RegExp(`^[\\x21-\\x7e]{1,${MESSAGE_VALUE_CHARS}}$`);

/**
 * An id someone gave (an MCP tool's `runId`, a CLI argument, a path) for a message that names it: as it
 * is when it reads as an id (`no run run_01j…`, the words the CLI has always used), else quoted by
 * valueForMessage (`no run "run_\u202e"`), so an id holding a newline or a bidi control cannot forge a
 * line or reorder one wherever the message is printed.
 */
export function idForMessage(id: string): string {
  return PLAIN_ID.test(id) ? id : valueForMessage(id);
}
