// Continuous agents and their inbox on SQLite: the shared statements of ../sql/, run inside the store's
// write transaction (so a claim's read and write, or an item's save and mark, cannot interleave).
import { leaseAgent, newAgentState } from '../agent-state.js';
import * as agents from '../sql/agents.js';
import { sqliteDialect as d } from '../sql/dialect.js';
import * as inbox from '../sql/inbox.js';
import type { AgentRecord, InboxItem } from '../types.js';
import { all, get, run, type Statements } from './statements.js';

export function claimAgent(
  s: Statements,
  role: string,
  owner: string,
  until: number,
  now: number,
  deadOwner?: string,
): AgentRecord | undefined {
  run(s, agents.insertAgentIfMissing(d, role, newAgentState(), now));
  const row = get(s, agents.agentByRole(d, role))!;
  const claimed = leaseAgent(agents.toAgent(d, row), owner, until, now, deadOwner);
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
