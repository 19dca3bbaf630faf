// One event's deliveries on Postgres, in one transaction: a check that throws rolls back every delivery
// of the event written before it. Inserted in idempotency-key order, so two processes recording the same
// event at once wait for each other on its first key instead of each holding one key the other needs.
import { checkBatchShape } from '../batch-shape.js';
import { initialStepsMismatch } from '../errors.js';
import { postgresDialect as d } from '../sql/dialect.js';
import * as inbox from '../sql/inbox.js';
import type { EventDelivered, EventDelivery } from '../types.js';
import { writeRecords } from './commit.js';
import { INSERT_RUN, runParams } from './create-statement.js';
import type { Database } from './database.js';
import { type Row, toRun } from './rows.js';

export function recordEvent(
  db: Database,
  deliveries: readonly EventDelivery[],
  check: (found: EventDelivered, index: number) => void,
): Promise<EventDelivered[]> {
  for (const x of deliveries) {
    if (x.kind !== 'run') continue;
    checkBatchShape(x.run.id, 0, { ...x.init, runId: x.run.id });
    if (x.init.steps.length !== x.run.seq)
      throw initialStepsMismatch(x.run.id, x.run.seq, x.init.steps.length);
  }
  const key = (x: EventDelivery) => `${x.kind}:${(x.kind === 'run' ? x.run : x.item).idempotencyKey ?? ''}`;
  const order = deliveries
    .map((_, i) => i)
    .sort((a, b) => (key(deliveries[a]!) < key(deliveries[b]!) ? -1 : 1));
  return db.tx(`recording an event for ${deliveries.length} roles`, async (c) => {
    const out: EventDelivered[] = [];
    for (const i of order) {
      const x = deliveries[i]!;
      let delivered: EventDelivered;
      if (x.kind === 'run') {
        if ((await c.query(INSERT_RUN, runParams(x.run))).rowCount === 1) {
          await writeRecords(c, { ...x.init, runId: x.run.id });
          delivered = { kind: 'run', run: x.run, created: true };
        } else {
          const found = await c.query('SELECT * FROM runs WHERE idempotency_key = $1', [
            x.run.idempotencyKey,
          ]);
          delivered = { kind: 'run', run: toRun(found.rows[0] as Row), created: false };
        }
      } else {
        const q = inbox.insertItem(d, x.item);
        if ((await c.query(q.text, q.params)).rowCount === 1) {
          delivered = { kind: 'inbox', item: x.item, created: true };
        } else {
          const k = inbox.itemByKey(d, x.item.idempotencyKey);
          const found = (await c.query(k.text, k.params)).rows[0] as Row;
          delivered = { kind: 'inbox', item: inbox.toInbox(d, found), created: false };
        }
      }
      if (!delivered.created) check(delivered, i);
      out[i] = delivered;
    }
    return out;
  });
}
