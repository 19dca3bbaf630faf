// The SQLite store's continuous agents and their inbox. Methods of SqliteStore (store.ts), moved here by
// concept.
import * as agents from '../sql/agents.js';
import { sqliteDialect as d } from '../sql/dialect.js';
import * as inbox from '../sql/inbox.js';
import type { AgentRecord, InboxItem } from '../types.js';
import { claimAgent, finishInboxItem, pushInbox, saveAgent } from './agents.js';
import type { Row } from './rows.js';
import { all, get, run } from './statements.js';
import type { SqliteIo } from './store-io.js';

export const agentMethods = {
  claimAgent(
    this: SqliteIo,
    role: string,
    owner: string,
    until: number,
    now: number,
    deadOwner?: string,
  ): Promise<AgentRecord | undefined> {
    return this.write(`claiming the agent of ${role}`, (s) =>
      claimAgent(s, role, owner, until, now, deadOwner),
    );
  },

  heartbeatAgents(
    this: SqliteIo,
    owner: string,
    roles: readonly string[],
    until: number,
    now: number,
  ): Promise<string[]> {
    if (roles.length === 0) return Promise.resolve([]);
    return this.write('renewing agent leases', (s) =>
      all(s, agents.heartbeat(d, owner, roles, until, now)).map((r) => r.role as string),
    );
  },

  saveAgent(this: SqliteIo, agent: AgentRecord, owner: string): Promise<boolean> {
    return this.write(`saving the agent of ${agent.role}`, (s) => saveAgent(s, agent, owner));
  },

  releaseAgent(this: SqliteIo, role: string, owner: string): Promise<void> {
    return this.write(`releasing the agent of ${role}`, (s) => {
      run(s, agents.releaseAgent(d, role, owner));
    });
  },

  getAgent(this: SqliteIo, role: string): Promise<AgentRecord | undefined> {
    return this.read(`reading the agent of ${role}`, (s) => {
      const row = get(s, agents.agentByRole(d, role));
      return row ? agents.toAgent(d, row) : undefined;
    });
  },

  listAgents(this: SqliteIo): Promise<AgentRecord[]> {
    return this.read('listing agents', (s) =>
      (s.sql(agents.LIST_AGENTS).all() as Row[]).map((r) => agents.toAgent(d, r)),
    );
  },

  pushInbox(this: SqliteIo, item: InboxItem): Promise<{ item: InboxItem; created: boolean }> {
    return this.write(`adding to the inbox of ${item.role}`, (s) => pushInbox(s, item));
  },

  inboxHead(this: SqliteIo, role: string): Promise<InboxItem | undefined> {
    return this.read(`reading the inbox of ${role}`, (s) => {
      const row = get(s, inbox.head(d, role));
      return row ? inbox.toInbox(d, row) : undefined;
    });
  },

  rolesWithInbox(this: SqliteIo, roles: readonly string[]): Promise<string[]> {
    if (roles.length === 0) return Promise.resolve([]);
    return this.read('looking for waiting inbox items', (s) =>
      all(s, inbox.rolesWaiting(d, roles)).map((r) => r.role as string),
    );
  },

  inboxDepth(this: SqliteIo, role: string): Promise<number> {
    return this.read(`counting the inbox of ${role}`, (s) => Number(get(s, inbox.depth(d, role))?.n ?? 0));
  },

  finishInboxItem(
    this: SqliteIo,
    itemId: string,
    runId: string,
    agent: AgentRecord,
    owner: string,
    at: number,
  ): Promise<boolean> {
    return this.write(`finishing inbox item ${itemId}`, (s) =>
      finishInboxItem(s, itemId, runId, agent, owner, at),
    );
  },
};
