// The checker: waits for the runs a scenario started to settle, plays the careful human for the runs
// that pause on an unknown outcome (looks at the payments server, answers "it went through" or lets the
// call run once), and counts what happened from the store and from the payments server's own history.
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunRecord, RunStatus } from '../../src/store/types.js';
import type { Cluster } from './cluster.js';
import type { Payments } from './payments.js';

const SETTLED: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'awaiting_approval', 'escalated'];

export interface Settled {
  runs: Map<string, RunRecord | undefined>;
  /** When every run settled, or undefined if the deadline came first. */
  at: number | undefined;
}

/** Waits (polling the store) until every run is succeeded, failed, cancelled or paused for a human. */
export async function waitSettled(
  cluster: Cluster,
  ids: readonly string[],
  timeoutMs: number,
  settled: (r: RunRecord) => boolean = (r) => SETTLED.includes(r.status),
): Promise<Settled> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listed = await cluster.store.listRuns({ limit: 100_000 }).catch(() => []);
    const byId = new Map(listed.map((r) => [r.id, r]));
    const runs = new Map(ids.map((id) => [id, byId.get(id)]));
    const all = [...runs.values()].every((r) => r !== undefined && settled(r));
    if (all) return { runs, at: Date.now() };
    if (Date.now() > deadline) return { runs, at: undefined };
    await sleep(50);
  }
}

/**
 * Answers every pending `unknown_outcome` escalation of these runs the way a careful person would: asks
 * the payments server whether the charge went through; if it did, says so (the call is not run again),
 * else lets the held call run once (`--allow-call`). Returns how many it answered.
 */
export async function answerUnknownOutcomes(
  cluster: Cluster,
  payments: Payments,
  ids: readonly string[],
): Promise<number> {
  let answered = 0;
  for (const id of ids) {
    for (const e of await cluster.store.listEscalations({ status: 'pending', runId: id })) {
      if (e.category !== 'unknown_outcome' || !e.callKey) continue;
      const charged = payments.applied(e.callKey) > 0;
      const args = charged
        ? ['answer', e.id, 'Checked with the provider: the charge went through.', '--json']
        : ['answer', e.id, 'Checked with the provider: no charge. Run it.', '--allow-call', '--json'];
      const res = await cluster.cli(args);
      if (res.code !== 0 && res.code !== 3)
        throw new Error(`answering ${e.id} failed (exit ${res.code}): ${res.stderr}`);
      answered++;
    }
  }
  return answered;
}

export interface Tally {
  started: number;
  finished: number;
  paused: number;
  failed: number;
  lost: number;
  duplicated: number;
  stuck: number;
  /** Human-readable lines for each lost, duplicated or stuck run. */
  details: string[];
}

/** A tally of `started` runs before any is counted. */
export function emptyTally(started: number): Tally {
  return { started, finished: 0, paused: 0, failed: 0, lost: 0, duplicated: 0, stuck: 0, details: [] };
}

/**
 * Counts the outcome. `expected` is how many charges each succeeded run must have made, once each: a
 * succeeded run with a call whose charge never landed lost an effect; a key charged twice is a duplicate
 * (counted over every charge the payments server saw, not only these runs).
 */
export async function tally(
  cluster: Cluster,
  payments: Payments,
  ids: readonly string[],
  expected: number,
  /** Count runs in the store beyond the accepted ones as duplicated runs (off where others are expected). */
  extraRunsAreDuplicates = true,
): Promise<Tally> {
  const t = emptyTally(ids.length);
  for (const id of ids) {
    const snap = await cluster.store.loadRun(id);
    if (!snap) {
      t.lost++;
      t.details.push(`run ${id} was accepted but is not in the store`);
      continue;
    }
    const status = snap.run.status;
    if (status === 'succeeded') {
      t.finished++;
      const calls = snap.toolCalls.filter((c) => c.tool.startsWith('payments.'));
      const landed = calls.filter((c) => payments.applied(c.key) > 0).length;
      if (landed < expected) {
        t.lost++;
        t.details.push(`run ${id} succeeded with ${landed} of ${expected} charges made`);
      }
    } else if (status === 'awaiting_approval' || status === 'escalated') t.paused++;
    else if (status === 'failed' || status === 'cancelled') {
      t.failed++;
      t.details.push(`run ${id} ${status}: ${snap.run.error?.code ?? ''} ${snap.run.error?.message ?? ''}`);
    } else {
      t.stuck++;
      t.details.push(`run ${id} is still ${status} (lease ${snap.run.leaseOwner ?? 'none'})`);
    }
  }
  const dup = payments.duplicatedKeys();
  t.duplicated = dup.length;
  for (const key of dup)
    t.details.push(
      `${key} charged ${payments.applied(key)} times, by pids ${payments.charges.filter((c) => c.key === key && c.result === 'applied').map((c) => c.pid)}`,
    );
  // A redelivered event must not make a second run: more runs than accepted ids is a duplicated run.
  const all = await cluster.store.listRuns({ limit: 100_000 });
  if (extraRunsAreDuplicates && all.length > new Set(ids).size && ids.length > 0) {
    t.duplicated += all.length - new Set(ids).size;
    t.details.push(`${all.length} runs in the store for ${new Set(ids).size} accepted events`);
  }
  // A table cell, not a log: the first few cases say what went wrong.
  if (t.details.length > 4)
    t.details = [...t.details.slice(0, 3), `and ${t.details.length - 3} more like these`];
  return t;
}

/** The contract every scenario shares, as a list of breaches (empty when it held). */
export function breaches(
  t: Tally,
  o: { recoveryMs: number | null; boundMs: number; allowFailed?: boolean },
): string[] {
  const out: string[] = [];
  if (t.lost) out.push(`${t.lost} lost`);
  if (t.duplicated) out.push(`${t.duplicated} duplicated`);
  if (t.stuck) out.push(`${t.stuck} stuck`);
  if (t.failed && !o.allowFailed) out.push(`${t.failed} failed`);
  if (o.recoveryMs === null) out.push('did not settle before the deadline');
  else if (o.recoveryMs > o.boundMs)
    out.push(`recovery ${(o.recoveryMs / 1000).toFixed(1)} s > bound ${(o.boundMs / 1000).toFixed(1)} s`);
  return out;
}
