// Continuous agents and their inbox on SQLite: the shared statements of ../sql/, run inside the store's
// write transaction (so a claim's read and write, or an item's save and mark, cannot interleave).
import { leaseAgent, newAgentState } from '../agent-state.js';
import * as agents from '../sql/agents.js';
import { sqliteDialect as d, type Query } from '../sql/dialect.js';
import * as inbox from '../sql/inbox.js';
import type { AgentRecord, InboxItem } from '../types.js';
import type { Row } from './rows.js';
import type { Statements } from './statements.js';

/** Runs a shared statement, cached by its text. */
export const run = (s: Statements, q: Query) => s.sql(q.text).run(q.params);
export const all = (s: Statements, q: Query) => s.sql(q.text).all(q.params) as Row[];
export const get = (s: Statements, q: Query) => s.sql(q.text).get(q.params) as Row | undefined;

export function claimAgent(
  s: Statements,
  role: string,
  owner: string,
  until: number,
  now: number,
): AgentRecord | undefined {
  run(s, agents.insertAgentIfMissing(d, role, newAgentState(), now));
  const claimed = leaseAgent(agents.toAgent(d, get(s, agents.agentByRole(d, role))!), owner, until, now);
  if (!claimed) return undefined;
  run(s, agents.writeLease(d, claimed, owner, until, now));
  return claimed;
}

export function saveAgent(s: Statements, agent: AgentRecord, owner: string): boolean {
  return all(s, agents.saveAgent(d, agent, owner)).length === 1;
}

export function pushInbox(s: Statements, item: InboxItem): { item: InboxItem; created: boolean } {
  if (run(s, inbox.insertItem(d, item)).changes === 1) return { item, created: true };
  return { item: inbox.toInbox(d, get(s, inbox.itemByKey(d, item.idempotencyKey))!), created: false };
}

export function finishInboxItem(
  s: Statements,
  itemId: string,
  runId: string,
  agent: AgentRecord,
  owner: string,
  at: number,
): boolean {
  if (!saveAgent(s, agent, owner)) return false;
  run(s, inbox.markHandled(d, itemId, runId, at));
  return true;
}
