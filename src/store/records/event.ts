// One event's deliveries, recorded together (Store.recordEvent): a queued run for each job role that takes
// it and an inbox item for each continuous one, all written or none.
import type { InboxItem } from './agents.js';
import type { CommitBatch } from './batch.js';
import type { RunRecord } from './run.js';

/** One role's share of an event, to record: a new run with its first records, or an inbox item. */
export type EventDelivery =
  | { kind: 'run'; run: RunRecord; init: Omit<CommitBatch, 'runId' | 'expectSeq' | 'run'> }
  | { kind: 'inbox'; item: InboxItem };

/** What became of a delivery: written now (`created`), or the record its idempotency key already named. */
export type EventDelivered =
  | { kind: 'run'; run: RunRecord; created: boolean }
  | { kind: 'inbox'; item: InboxItem; created: boolean };
