// How a secret's *name* is written into a message. A field that takes a name (`secret: ZENDESK_SECRET`)
// is where the secret itself gets pasted by mistake (`secret: whsec_3f9a…`), and a message that repeats
// it ("secret whsec_3f9a… is not set") would put it on stderr, in CI logs and in serve's log. A name is
// repeated only when it looks like an environment variable's name; anything else is described by length.

const ENV_STYLE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/** True when `name` reads as a variable's name rather than a token (mixed case, long random segments). */
export function looksLikeSecretName(name: string): boolean {
  if (!ENV_STYLE.test(name)) return false;
  // Tokens mix cases (`whsec_Ab3…`); names are SHOUTING_SNAKE (or, rarely, lower_snake like http_proxy).
  if (name !== name.toUpperCase() && name !== name.toLowerCase()) return false;
  // Keys have long or letter-and-digit segments (`whsec_3f9a1b2c`, `sk_live_4eC39HqL`); names have words.
  return !name
    .split('_')
    .some((seg) => seg.length >= 20 || (seg.length >= 8 && /\d/.test(seg) && /[a-z]/i.test(seg)));
}

/** The name as written into a message: itself, or (when it may be the secret) only its length. */
export function secretNameForMessage(name: string | undefined): string {
  if (name === undefined) return '(none named)';
  return looksLikeSecretName(name)
    ? name
    : `(not a valid secret name: a value of ${name.length} characters, not shown as it may be the secret itself)`;
}
