// How values are written to Postgres, shared by every statement of the store.

/** JSON text for a JSON column (JSON, not JSONB: keeps key order and \u0000 escapes). */
export const jsonText = (v: unknown): string => JSON.stringify(v === undefined ? null : v);

export const jsonTextOrNull = (v: unknown): string | null =>
  v === null || v === undefined ? null : JSON.stringify(v);

/** TEXT cannot hold NUL: it becomes U+FFFD in every string column. */
export const txt = <T extends string | null>(v: T): T =>
  typeof v === 'string' && v.includes('\u0000') ? (v.replaceAll('\u0000', '\uFFFD') as T) : v;
