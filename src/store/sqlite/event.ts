// One event's deliveries on SQLite, inside one write of the store (one savepoint of its group
// transaction): a check that throws rolls back every delivery of the event written before it.
import type { EventDelivered, EventDelivery } from '../types.js';
import { pushInbox } from './agents.js';
import { createRun } from './commit.js';
import type { Statements } from './statements.js';

export function recordEvent(
  s: Statements,
  deliveries: readonly EventDelivery[],
  check: (found: EventDelivered, index: number) => void,
): EventDelivered[] {
  return deliveries.map((d, i) => {
    const out: EventDelivered =
      d.kind === 'run'
        ? { kind: 'run', ...createRun(s, d.run, d.init) }
        : { kind: 'inbox', ...pushInbox(s, d.item) };
    if (!out.created) check(out, i);
    return out;
  });
}
