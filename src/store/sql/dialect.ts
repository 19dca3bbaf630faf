// What differs between the two stores' SQL on the cold paths, as data (pg-boss keeps its backends'
// differences the same way): the builders in this folder take a Dialect and return text plus parameters,
// which each store runs its own way. Commit and claim stay hand-tuned per backend.

export interface Dialect {
  /** The placeholder of the i-th parameter (from 1). Builders use each parameter once, in order. */
  param(i: number): string;
  /** `<column> IN` a list bound as the i-th parameter (pass the list through `list`). */
  anyOf(i: number): string;
  /** A list of strings as one parameter. */
  list(values: readonly string[]): unknown;
  /** A JSON column as it comes back: Postgres hands it over parsed, SQLite as text. */
  decodeJson(v: unknown): unknown;
  /** Appended to a SELECT whose rows the transaction will update (Postgres locks them; SQLite has one writer). */
  forUpdate: string;
  /** A JSON column's stored text, byte for byte (what the audit chain hashes). */
  jsonText(column: string): string;
}

/** One statement: its text (stable per shape, so both stores cache or prepare it) and its parameters. */
export interface Query {
  text: string;
  params: unknown[];
}

export const postgresDialect: Dialect = {
  param: (i) => `$${i}`,
  anyOf: (i) => `= ANY($${i})`,
  list: (values) => [...values],
  decodeJson: (v) => v,
  forUpdate: ' FOR UPDATE',
  jsonText: (column) => `${column}::text`,
};

export const sqliteDialect: Dialect = {
  param: () => '?',
  anyOf: () => 'IN (SELECT value FROM json_each(?))',
  list: (values) => JSON.stringify(values),
  decodeJson: (v) => (v === null || v === undefined ? null : JSON.parse(v as string)),
  forUpdate: '',
  jsonText: (column) => column,
};
