// Endpoint URLs from a configured base URL, and the form of a URL that errors may show.

/**
 * `path` (e.g. `/chat/completions`) appended to the base URL's path, its query kept after it: a gateway's base
 * URL may carry one (Azure OpenAI's `?api-version=…`), and appending to the whole string sent
 * `/v1?api-version=1/chat/completions`. A trailing slash is dropped first; a fragment is never sent.
 */
export function endpointUrl(baseUrl: string, path: string): string {
  const trimmed = baseUrl.trim();
  const cut = trimmed.search(/[?#]/);
  const base = cut < 0 ? trimmed : trimmed.slice(0, cut);
  const query = cut < 0 ? '' : trimmed.slice(cut).replace(/#.*$/, '');
  return `${base.replace(/\/+$/, '')}${path}${query === '?' ? '' : query}`;
}

/**
 * The URL with any `user:password@` replaced and its query's values hidden (`?api-version=…&key=…`): a base
 * URL may hold a gateway's credentials, in either place, and errors show it.
 */
export function shownUrl(url: string): string {
  return url
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/?#@]*@/i, '$1[redacted]@')
    .replace(/([?&][^=&#]*)=[^&#]*/g, '$1=…');
}

/**
 * A model spec as messages show it: the base URL in it (`openai-compatible:m@http://user:password@host/v1`)
 * as shownUrl shows it, so a password in it is never echoed.
 */
export function shownSpec(spec: string): string {
  const at = spec.search(/https?:\/\//i);
  return at < 0 ? spec : `${spec.slice(0, at)}${shownUrl(spec.slice(at))}`;
}

/** Whether a URL carries `user[:password]@` (node:http sends it as Basic auth when no Authorization header is set). */
export function hasUserinfo(url: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#@]*@/i.test(url.trim());
}
