// Counts the statements (round trips) a process sends to Postgres, by kind, for the substrate bench's
// "round trips per run" (pg_stat_statements needs shared_preload_libraries, which a shared server may not
// have). Preloaded into each worker:
//
//   BENCH_COUNT_DIR=/tmp/counts BENCH_WORKER_NODE_ARGS='--import ./dist/bench/count-queries.js' \
//     node dist/bench/substrate.js --only pg4
//
// Every `Client.query` call is one round trip (node-postgres sends each query and waits for its answer;
// the pool's queries go through it too). On exit the counts go to `$BENCH_COUNT_DIR/<pid>.json`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

const counts = new Map<string, number>();
const bytes = new Map<string, number>();

/** A statement's kind: its first words, which name it well enough for the store's fixed family. */
function kindOf(q: unknown): string {
  const text = typeof q === 'string' ? q : ((q as { text?: string })?.text ?? '?');
  return text.replace(/\s+/g, ' ').trim().slice(0, 60);
}

const original = pg.Client.prototype.query as (...args: unknown[]) => unknown;
(pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown }).query = function (
  this: pg.Client,
  ...args: unknown[]
) {
  const kind = kindOf(args[0]);
  counts.set(kind, (counts.get(kind) ?? 0) + 1);
  // The bytes of its parameters too (what the worker writes to the socket beyond the statement's name).
  const values = Array.isArray(args[1]) ? args[1] : ((args[0] as { values?: unknown[] })?.values ?? []);
  let size = 0;
  for (const v of values) size += typeof v === 'string' ? v.length : v == null ? 0 : String(v).length;
  bytes.set(kind, (bytes.get(kind) ?? 0) + size);
  return original.apply(this, args);
};

const dir = process.env.BENCH_COUNT_DIR;
if (dir) {
  process.on('exit', () => {
    writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(Object.fromEntries(counts)));
    writeFileSync(join(dir, `${process.pid}.bytes`), JSON.stringify(Object.fromEntries(bytes)));
  });
}
