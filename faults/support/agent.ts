// The checker for a continuous agent (one long-lived agent per role, an inbox of events it handles one at
// a time): waits for its inbox to drain while playing the careful human for unknown outcomes, and counts
// from the store how each inbox item was handled (one run each, succeeded, its charge landed once).
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentRecord, RunRecord } from '../../src/store/types.js';
import { waitFor } from '../../test/support/wait.js';
import { answerUnknownOutcomes, emptyTally, type Tally } from './check.js';
import type { Cluster } from './cluster.js';
import type { Payments } from './payments.js';

/** The runs that handled each inbox item (a continuous run's idempotency key is `inbox:<item id>`). */
async function runsByItem(cluster: Cluster, items: readonly string[]): Promise<Map<string, RunRecord[]>> {
  const all = await cluster.store.listRuns({ limit: 100_000 });
  return new Map(items.map((id) => [id, all.filter((r) => r.idempotencyKey === `inbox:${id}`)]));
}

export interface Drained {
  /** When the inbox was empty and the agent idle, or undefined if the deadline came first. */
  at: number | undefined;
  /** Unknown outcomes the checker answered on the way. */
  answered: number;
}

/**
 * Waits until the role's inbox is empty and its agent idle, answering every unknown outcome of the
 * items' runs as it appears (the agent waits for a person there; it is not stuck).
 */
export async function waitDrained(
  cluster: Cluster,
  payments: Payments,
  items: readonly string[],
  timeoutMs: number,
): Promise<Drained> {
  const role = 'payer';
  const deadline = Date.now() + timeoutMs;
  let answered = 0;
  for (;;) {
    const [depth, agent] = await Promise.all([
      cluster.store.inboxDepth(role).catch(() => -1),
      cluster.store.getAgent(role).catch(() => undefined),
    ]);
    if (depth === 0 && agent?.status === 'idle') return { at: Date.now(), answered };
    if (Date.now() > deadline) return { at: undefined, answered };
    if (agent?.status === 'waiting') {
      const runIds = [...(await runsByItem(cluster, items)).values()].flat().map((r) => r.id);
      answered += await answerUnknownOutcomes(cluster, payments, runIds);
    }
    await sleep(50);
  }
}

/**
 * Counts how the inbox items were handled: an item with no run, or whose run succeeded without its
 * charges landed, is lost; an item with two runs, or a charge applied twice, is duplicated; an item still
 * waiting in the inbox, or whose run did not end, is stuck.
 */
export async function tallyInbox(
  cluster: Cluster,
  payments: Payments,
  items: readonly string[],
  expected: number,
): Promise<Tally> {
  const t = emptyTally(items.length);
  for (const [id, runs] of await runsByItem(cluster, items)) {
    if (runs.length === 0) {
      t.lost++;
      t.details.push(`inbox item ${id} was accepted but no run handled it`);
      continue;
    }
    if (runs.length > 1) {
      t.duplicated += runs.length - 1;
      t.details.push(`inbox item ${id} was handled by ${runs.length} runs`);
    }
    for (const run of runs) {
      const snap = await cluster.store.loadRun(run.id);
      if (snap?.run.status === 'succeeded') {
        t.finished++;
        const landed = snap.toolCalls
          .filter((c) => c.tool.startsWith('payments.'))
          .filter((c) => payments.applied(c.key) > 0).length;
        if (landed < expected) {
          t.lost++;
          t.details.push(`run ${run.id} (item ${id}) succeeded with ${landed} of ${expected} charges made`);
        }
      } else if (snap?.run.status === 'failed' || snap?.run.status === 'cancelled') {
        t.failed++;
        t.details.push(`run ${run.id} (item ${id}) ${snap.run.status}: ${snap.run.error?.message ?? ''}`);
      } else {
        t.stuck++;
        t.details.push(`run ${run.id} (item ${id}) is still ${snap?.run.status}`);
      }
    }
  }
  const depth = await cluster.store.inboxDepth('payer');
  if (depth > 0) {
    t.stuck += depth;
    t.details.push(`${depth} items still wait in the inbox`);
  }
  const dup = payments.duplicatedKeys();
  t.duplicated += dup.length;
  for (const key of dup) t.details.push(`${key} charged ${payments.applied(key)} times`);
  if (t.details.length > 4)
    t.details = [...t.details.slice(0, 3), `and ${t.details.length - 3} more like these`];
  return t;
}

/**
 * What the agent's record must show once the fault is over: idle, with the context its last handled
 * event stored, no failure pending, held by a live worker whose heartbeat moves on. Returns the breaches.
 */
export async function agentBreaches(
  cluster: Cluster,
  o: { context: unknown; holders: readonly number[] },
): Promise<string[]> {
  const out: string[] = [];
  const agent = await cluster.store.getAgent('payer');
  if (!agent) return ['the agent is not in the store'];
  if (agent.status !== 'idle') out.push(`the agent is ${agent.status}, not idle`);
  if (JSON.stringify(agent.context) !== JSON.stringify(o.context))
    out.push(`the agent's context is ${JSON.stringify(agent.context)}, not ${JSON.stringify(o.context)}`);
  if (agent.failures !== 0 || agent.lastError)
    out.push(`the agent keeps ${agent.failures} failures (${agent.lastError?.message ?? 'no error'})`);
  const pid = Number(agent.owner?.split('/')[1]);
  if (!o.holders.includes(pid)) out.push(`the agent is held by ${agent.owner}, not a live worker`);
  const beat = await heartbeatMovesOn(cluster, agent);
  if (beat) out.push(beat);
  return out;
}

/** Undefined when the agent's heartbeat is renewed again after `agent` was read, else what is wrong. */
async function heartbeatMovesOn(cluster: Cluster, agent: AgentRecord): Promise<string | undefined> {
  const since = agent.heartbeatAt ?? 0;
  const next = await waitFor(
    async () => {
      const a = await cluster.store.getAgent('payer');
      return a && (a.heartbeatAt ?? 0) > since && a.owner === agent.owner ? a : undefined;
    },
    'the agent heartbeat to advance',
    10_000,
  ).catch(() => undefined);
  return next ? undefined : `the agent's heartbeat did not advance past ${since} within 10 s`;
}
