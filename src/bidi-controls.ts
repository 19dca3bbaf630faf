// The characters that reorder text shown (one definition for the CLI's output, the pages serve makes and
// the file names fs tools refuse): a model's or a sender's U+202E shows `invoice\u202Efdp.exe` as
// `invoiceexe.pdf`.

/**
 * The bidirectional formatting characters, as the inside of a regex character class: ALM, LRM, RLM, the
 * embeddings and overrides (LRE, RLE, PDF, LRO, RLO) and the isolates (LRI, RLI, FSI, PDI).
 */
export const BIDI_CONTROLS = '\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069';
