// The Postgres store's continuous agents and their inbox. Methods of PostgresStore (store.ts), moved
// here by concept.
import * as agents from '../sql/agents.js';
import { postgresDialect as d } from '../sql/dialect.js';
import * as inbox from '../sql/inbox.js';
import type { AgentRecord, InboxItem } from '../types.js';
import * as agentWrites from './agents.js';
import type { PostgresIo } from './store-io.js';

export const agentMethods = {
  claimAgent(
    this: PostgresIo,
    role: string,
    owner: string,
    until: number,
    now: number,
    deadOwner?: string,
  ): Promise<AgentRecord | undefined> {
    return agentWrites.claimAgent(this.db, role, owner, until, now, deadOwner);
  },

  heartbeatAgents(
    this: PostgresIo,
    owner: string,
    roles: readonly string[],
    until: number,
    now: number,
  ): Promise<string[]> {
    return agentWrites.heartbeatAgents(this.db, owner, roles, until, now);
  },

  async saveAgent(this: PostgresIo, agent: AgentRecord, owner: string): Promise<boolean> {
    const saved = await this.run(`saving the agent of ${agent.role}`, agents.saveAgent(d, agent, owner));
    return saved.length === 1;
  },

  async releaseAgent(this: PostgresIo, role: string, owner: string): Promise<void> {
    await this.run(`releasing the agent of ${role}`, agents.releaseAgent(d, role, owner));
  },

  async getAgent(this: PostgresIo, role: string): Promise<AgentRecord | undefined> {
    const [r] = await this.run(`reading the agent of ${role}`, agents.agentByRole(d, role));
    return r ? agents.toAgent(d, r) : undefined;
  },

  async listAgents(this: PostgresIo): Promise<AgentRecord[]> {
    return (await this.db.q('listing agents', agents.LIST_AGENTS)).map((r) => agents.toAgent(d, r));
  },

  pushInbox(this: PostgresIo, item: InboxItem): Promise<{ item: InboxItem; created: boolean }> {
    return agentWrites.pushInbox(this.db, item, () => this.wake.notify());
  },

  async inboxHead(this: PostgresIo, role: string): Promise<InboxItem | undefined> {
    const [r] = await this.run(`reading the inbox of ${role}`, inbox.head(d, role));
    return r ? inbox.toInbox(d, r) : undefined;
  },

  async rolesWithInbox(this: PostgresIo, roles: readonly string[]): Promise<string[]> {
    if (roles.length === 0) return [];
    const rows = await this.run('looking for waiting inbox items', inbox.rolesWaiting(d, roles));
    return rows.map((r) => r.role as string);
  },

  async inboxDepth(this: PostgresIo, role: string): Promise<number> {
    const [r] = await this.run(`counting the inbox of ${role}`, inbox.depth(d, role));
    return Number(r?.n ?? 0);
  },

  finishInboxItem(
    this: PostgresIo,
    itemId: string,
    runId: string,
    agent: AgentRecord,
    owner: string,
    at: number,
  ): Promise<boolean> {
    return agentWrites.finishInboxItem(this.db, itemId, runId, agent, owner, at);
  },
};
