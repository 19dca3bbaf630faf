// pino's redaction paths (and the fast path that skips its redactor) match keys exactly: `authorization`
// censors nothing under `Authorization`, `X-API-Key` or `APIKEY`. HTTP header names are case-insensitive,
// and a tool's arguments, a provider's error or a webhook's headers arrive in whatever case their sender
// chose, so before either path sees a line, every key the paths name is looked for in any case and one
// spelled otherwise has its value replaced by the censor. Keys spelled exactly as a path are left to
// pino's redactor, so the bytes written for them do not change.

type Fields = Record<string, unknown>;

/** One level of the paths: the censored keys lower-cased, and their exact spellings (pino's own). */
interface Level {
  lower: ReadonlySet<string>;
  exact: ReadonlySet<string>;
}

/** The censored keys of pino redaction `paths` by where they sit: `a`, `*.a`, `*.headers.a`. */
export interface FoldedKeys {
  top: Level;
  second: Level;
  headers: Level;
}

function segmentsOf(path: string): string[] {
  return (path.match(/[^.[\]]+|\[([^[\]]*?)\]/g) ?? []).map((s) =>
    s.startsWith('[') ? s.slice(1, -1).replace(/^(["'`])(.*)\1$/, '$2') : s,
  );
}

export function foldedKeys(paths: readonly string[]): FoldedKeys {
  const level = () => ({ lower: new Set<string>(), exact: new Set<string>() });
  const top = level();
  const second = level();
  const headers = level();
  for (const path of paths) {
    const s = segmentsOf(path);
    const into =
      s.length === 1 && s[0] !== '*'
        ? top
        : s.length === 2 && s[0] === '*' && s[1] !== '*'
          ? second
          : s.length === 3 && s[0] === '*' && s[1] === 'headers' && s[2] !== '*'
            ? headers
            : undefined;
    // Another shape would be matched in exact case only: refused where it is added, not passed over.
    if (!into)
      throw new Error(`redaction path "${path}" has a shape the case-insensitive fold does not cover`);
    const key = s.at(-1)!;
    into.lower.add(key.toLowerCase());
    into.exact.add(key);
  }
  return { top, second, headers };
}

/** Plain and null-prototype objects (node's req.headers): what a line's fields and headers are. */
function isPlain(value: unknown): value is Fields {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `record` with each own key of `level` in another case censored (and, with `always`, in its exact case
 * too: a `Headers` field is not reached by pino's `*.headers` paths), or `record` itself when nothing
 * changes (the common case: no copy). `deeper` maps each value kept.
 */
function fold(
  record: Fields,
  level: Level,
  censor: string,
  always: boolean,
  deeper?: (key: string, value: unknown) => unknown,
): Fields {
  let out: Fields | undefined;
  for (const key of Object.keys(record)) {
    const value = record[key];
    let next = value;
    if (level.lower.has(key.toLowerCase()) && (always || !level.exact.has(key))) next = censor;
    else if (deeper) next = deeper(key, value);
    if (next !== value) {
      out ??= { ...record };
      out[key] = next;
    }
  }
  return out ?? record;
}

/**
 * The fold for `paths`: from a line's fields (or a child logger's bindings) to the same fields with the
 * differently-cased secret keys censored. Fields are not changed in place (they are the caller's objects).
 */
export function caseFoldedRedaction(paths: readonly string[], censor: string): (fields: Fields) => Fields {
  const { top, second, headers } = foldedKeys(paths);
  const headersOf = (key: string, value: unknown): unknown =>
    isPlain(value) && key.toLowerCase() === 'headers'
      ? fold(value, headers, censor, key !== 'headers')
      : value;
  const secondOf = (_key: string, value: unknown): unknown =>
    isPlain(value) ? fold(value, second, censor, false, headersOf) : value;
  return (fields) => (isPlain(fields) ? fold(fields, top, censor, false, secondOf) : fields);
}
