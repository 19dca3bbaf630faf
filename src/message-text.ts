// Text for an error message that may quote what someone sent: a request's key or value in zod's words, a
// run input's property name in a schema error. One definition for the API, the events door and the engine.
import { BIDI_CONTROLS } from './bidi-controls.js';

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
  const safe = UNSAFE_IN_MESSAGE.test(text)
    ? text.replace(UNSAFE_IN_MESSAGE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    : text;
  const chars = [...safe];
  if (chars.length <= MESSAGE_TEXT_CHARS) return safe;
  return `${chars.slice(0, MESSAGE_TEXT_CHARS).join('')}… (cut: ${chars.length.toLocaleString('en-US')} characters, the first ${MESSAGE_TEXT_CHARS} shown)`;
}
