// The one escaping every server-made page uses (the email decision page, the login page, the console):
// HTML's specials, and the characters that reorder text shown, so a page reads what is stored.
import { BIDI_CONTROLS, unicodeEscape } from '../bidi-controls.js';

/**
 * The characters that reorder text (bidi marks, embeddings, overrides, isolates): a model's or a sender's
 * U+202E shows a drafted `invoice\u202Efdp.exe` to the person approving it as `invoiceexe.pdf`. Written as
 * `\u202e` instead, as the CLI prints them (cli/terminal-text.ts), so what a person reads is what is stored.
 */
const BIDI = new RegExp(`[${BIDI_CONTROLS}]`, 'g');

export function visibleBidi(text: string): string {
  return text.replace(BIDI, unicodeEscape);
}

/** Text for HTML (an element's content or a quoted attribute value), bidi controls written out. */
export function escapeHtml(text: string): string {
  return visibleBidi(text).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}
