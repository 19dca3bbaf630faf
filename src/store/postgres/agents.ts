// Continuous agents and their inbox on Postgres: the shared statements of ../sql/, run in the few
// transactions that need one (a claim reads the lease and writes it; finishing an item saves the agent
// and marks the item handled together).
import { leaseAgent, newAgentState } from '../agent-state.js';
import * as agents from '../sql/agents.js';
import { postgresDialect as d, type Query } from '../sql/dialect.js';
import * as inbox from '../sql/inbox.js';
import type { AgentRecord, InboxItem } from '../types.js';
import type { Client, Database } from './database.js';
import type { Row } from './rows.js';

const run = (c: Client, q: Query) => c.query(q.text, q.params);

export function claimAgent(
  db: Database,
  role: string,
  owner: string,
  until: number,
  now: number,
  deadOwner?: string,
): Promise<AgentRecord | undefined> {
  return db.tx(`claiming the agent of ${role}`, async (c) => {
    await run(c, agents.insertAgentIfMissing(d, role, newAgentState(), now));
    const row = (await run(c, agents.agentByRole(d, role, true))).rows[0] as Row;
    const claimed = leaseAgent(agents.toAgent(d, row), owner, until, now, deadOwner);
    if (!claimed) return undefined;
    await run(c, agents.writeLease(d, claimed, owner, until, now));
    return claimed;
  });
}

export async function heartbeatAgents(
  db: Database,
  owner: string,
  roles: readonly string[],
  until: number,
  now: number,
): Promise<string[]> {
  if (roles.length === 0) return [];
  const q = agents.heartbeat(d, owner, roles, until, now);
  // On the renewals' own pool, as run leases are (leases.ts): an agent's run is leased for the agent's
  // leaseSeconds, so a heartbeat queued behind a busy pool's commits would hand a live agent away.
  return (await db.q('renewing agent leases', q.text, q.params, db.renewals)).map((r) => r.role as string);
}

/** Appends an item; `onCreated` runs (to wake other workers) only when it is new. */
export function pushInbox(
  db: Database,
  item: InboxItem,
  onCreated: () => void,
): Promise<{ item: InboxItem; created: boolean }> {
  return db.tx(`adding to the inbox of ${item.role}`, async (c) => {
    if ((await run(c, inbox.insertItem(d, item))).rowCount === 1) {
      onCreated();
      return { item, created: true };
    }
    const row = (await run(c, inbox.itemByKey(d, item.idempotencyKey))).rows[0] as Row;
    return { item: inbox.toInbox(d, row), created: false };
  });
}

export function finishInboxItem(
  db: Database,
  itemId: string,
  runId: string,
  agent: AgentRecord,
  owner: string,
  at: number,
): Promise<boolean> {
  return db.tx(`finishing inbox item ${itemId}`, async (c) => {
    if ((await run(c, agents.saveAgent(d, agent, owner))).rowCount !== 1) return false;
    await run(c, inbox.markHandled(d, itemId, runId, at));
    return true;
  });
}
