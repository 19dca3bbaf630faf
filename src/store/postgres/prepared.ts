// Named (prepared) statements for the store's queries. node-postgres sends a parameterised query as an
// unnamed statement, which Postgres parses and plans again on every call; for the store's engine commits
// that planning cost as much as running them (~0.14 ms of a ~0.2 ms statement, measured with
// pg_stat_statements). A named statement is parsed once per connection and, after a few runs, executes a
// cached generic plan. Names are derived from the text, so one text always has one name on every
// connection, and their number is capped: the store's texts are a small fixed family (a commit's text
// depends only on which columns and record kinds it writes), and anything past the cap runs unnamed.
import { createHash } from 'node:crypto';
import type pg from 'pg';

const MAX_NAMED = 512;
const names = new Map<string, string>();
/** Part of every name: bumped when plans went stale, so each connection prepares afresh. */
let generation = 0;

export function preparedQuery(text: string, values: unknown[]): pg.QueryConfig {
  let name = names.get(text);
  if (name === undefined && names.size < MAX_NAMED) {
    name = `ns${generation}_${createHash('sha1').update(text).digest('hex').slice(0, 20)}`;
    names.set(text, name);
  }
  return name === undefined ? { text, values } : { name, text, values };
}

/**
 * New names for every statement from now on. Postgres refuses a stale plan on every execution of that
 * name on that connection, so retrying under the same name would fail again for as long as the
 * connection lives; under a new name each connection prepares the statement against the new tables.
 */
export function renamePreparedStatements(): void {
  generation++;
  names.clear();
}

/**
 * A prepared plan that no longer fits the table (another process migrated the schema while this one
 * held the statement): Postgres refuses it, and the query is run again unnamed.
 */
export function isStalePlan(err: unknown): boolean {
  return (
    (err as { code?: string }).code === '0A000' &&
    /cached plan must not change result type/.test((err as Error).message)
  );
}
