// The encoded forms of a secret value that are scrubbed along with the value itself: an API that echoes a
// header back base64-encoded (`Basic dXNlcjp0b2s...`), a hex dump, a URL with the key percent-encoded in
// its query. Shared by the store's redactor (tools/secrets.ts) and the log's (telemetry/logger.ts);
// computed once per secret, so scrubbing a string costs one substring search per form.

/**
 * Values shorter than this (in UTF-8 bytes) are scrubbed as written only: the encoded form of a short
 * value is a short run of letters and digits that ordinary base64 or hex text contains by chance.
 */
export const MIN_ENCODED_SECRET_BYTES = 8;

export interface SecretForm {
  /** The text to look for. */
  text: string;
  /** Which form it is, for the placeholder (`base64`, `base64:1`, `hex`, `url`, ...): see encodedForm. */
  encoding: SecretEncoding;
}

export const SECRET_ENCODINGS = [
  'base64',
  'base64:1',
  'base64:2',
  'base64url',
  'base64url:1',
  'base64url:2',
  'hex',
  'HEX',
  'url',
  'url-lower',
  'form',
] as const;
export type SecretEncoding = (typeof SECRET_ENCODINGS)[number];

/**
 * The characters of base64(prefix + value + suffix) that depend on the value alone, for a value starting
 * at byte `align` (0, 1 or 2) of a 3-byte group: every character whose 6 bits all come from the value. A
 * value inside a larger encoded text (`user:` + key in a Basic header) starts at any of the three, and its
 * encoding differs wholly from one alignment to the next, so each is its own form. The characters at the
 * edges, which mix a few bits of the value with its neighbours' (and `=` padding), stay: at most 6 bits of
 * the value's first and last byte.
 */
function base64Core(bytes: Buffer, align: 0 | 1 | 2): string {
  const encoded = Buffer.concat([Buffer.alloc(align), bytes]).toString('base64');
  const first = Math.ceil((8 * align) / 6);
  const end = Math.floor((8 * (align + bytes.length)) / 6);
  return encoded.slice(first, end);
}

/** The value percent-encoded as encodeURIComponent does; undefined for a string it cannot encode (a lone surrogate). */
function percent(value: string): string | undefined {
  try {
    return encodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** One encoded form of a value (what the revealer writes back for `[secret NAME <encoding>]`). */
export function encodedForm(value: string, encoding: SecretEncoding): string | undefined {
  const bytes = Buffer.from(value, 'utf8');
  switch (encoding) {
    case 'base64':
    case 'base64:1':
    case 'base64:2':
      return base64Core(bytes, Number(encoding.split(':')[1] ?? 0) as 0 | 1 | 2);
    case 'base64url':
    case 'base64url:1':
    case 'base64url:2':
      return base64Core(bytes, Number(encoding.split(':')[1] ?? 0) as 0 | 1 | 2)
        .replaceAll('+', '-')
        .replaceAll('/', '_');
    case 'hex':
      return bytes.toString('hex');
    case 'HEX':
      return bytes.toString('hex').toUpperCase();
    case 'url':
      return percent(value);
    case 'url-lower':
      return percent(value)?.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase());
    case 'form':
      // application/x-www-form-urlencoded (URLSearchParams, HTML forms): a space is `+`, and !'()~ are encoded.
      return new URLSearchParams([['', value]]).toString().slice(1);
  }
}

/**
 * The encoded forms of a value that differ from it and from each other (a key of letters and digits has
 * no percent-encoded form of its own, and its base64url is its base64): none for a value shorter than
 * MIN_ENCODED_SECRET_BYTES. Not covered: base64 wrapped across lines, other encodings (base32, ROT13,
 * reversed, split or case-changed text): a model that means to hide a value can always encode it some
 * other way; these are the forms tools and APIs produce on their own.
 */
export function encodedForms(value: string): SecretForm[] {
  if (Buffer.byteLength(value, 'utf8') < MIN_ENCODED_SECRET_BYTES) return [];
  const seen = new Set<string>([value]);
  const forms: SecretForm[] = [];
  for (const encoding of SECRET_ENCODINGS) {
    const text = encodedForm(value, encoding);
    if (text === undefined || seen.has(text)) continue;
    seen.add(text);
    forms.push({ text, encoding });
  }
  return forms;
}
