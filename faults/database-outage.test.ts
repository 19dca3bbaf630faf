// The database goes away under a burst: every Postgres worker reaches Postgres through a TCP proxy that
// the scenario cuts (connections reset, new ones refused, for 3 s) or stalls (no byte moves, for longer
// than the lease; the connections open during the stall stay dead after it, a black hole the workers
// must notice with their own timeouts, as after a dropped NAT mapping). Contract: the workers ride it out (they do not exit), /readyz answers 503 while the
// database is cut, and once it is back every accepted run finishes with each charge landed once.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { authFor } from '../test/support/cli.js';
import { postgresUnavailable } from '../test/support/postgres.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { waitFor } from '../test/support/wait.js';
import { breaches, tally, waitSettled } from './support/check.js';
import { type Cluster, emitEvents, openCluster } from './support/cluster.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const pgSkip = await postgresUnavailable();
const RUNS = 40;
const LEASE_MS = 2_000;

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

/** Polls every worker's /readyz for `ms` (the outage's length): whether each ever answered 503. */
async function watchReadiness(cluster: Cluster, ms: number): Promise<boolean[]> {
  const seen = cluster.workers.map(() => false);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    await Promise.all(
      cluster.workers.map(async (w, i) => {
        const res = await fetch(`${w.url}/readyz`, { signal: AbortSignal.timeout(1000) }).catch(
          () => undefined,
        );
        if (res?.status === 503) seen[i] = true;
      }),
    );
    await sleep(100);
  }
  return seen;
}

async function scenario(kind: 'cut' | 'stall'): Promise<void> {
  const proxy: TcpProxy = await startTcpProxy(5432);
  const cluster = await openCluster({
    kind: 'postgres',
    payments,
    tools: ['payments.charge_once'],
    leaseMs: LEASE_MS,
    proxyPort: proxy.port,
    turns: [
      { call: 'payments.charge_once', args: { amount: 1 }, delayMs: 150 },
      { call: 'payments.charge_once', args: { amount: 2 }, delayMs: 150 },
      { final: { paid: true }, delayMs: 150 },
    ],
  });
  try {
    for (let i = 0; i < 2; i++) await cluster.startWorker();
    const ids = await emitEvents(cluster.workers[0]!.url, RUNS, `db-${kind}`);
    assert.equal(ids.length, RUNS, 'not every event was accepted');
    await waitFor(
      async () => ((await cluster.store.countRuns(['succeeded'])).succeeded ?? 0) >= 5 || undefined,
      'a few runs to finish before the outage',
    );
    const outageMs = kind === 'cut' ? 3_000 : 2 * LEASE_MS + 1_000;
    if (kind === 'cut') {
      proxy.refuse();
      proxy.cut();
    } else proxy.stall();
    // An event posted during the outage must get an answer, not hang; if it is accepted it must run.
    const during = fetch(`${cluster.workers[0]!.url}/events/pay`, {
      method: 'POST',
      headers: {
        ...authFor(cluster.workers[0]!.url),
        'content-type': 'application/json',
        'idempotency-key': `db-${kind}-during`,
      },
      body: '{}',
      // A stalled store answers once its query times out (30 s, decision 013): within the recovery bound.
      signal: AbortSignal.timeout(outageMs + 45_000),
    })
      .then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { runs?: { runId: string }[] },
      }))
      .catch((err: Error) => ({ status: 0, body: { error: err.message } as { runs?: { runId: string }[] } }));
    const notReady = await watchReadiness(cluster, outageMs);
    proxy.restore();
    const restoredAt = Date.now();
    const answer = await during;
    if (answer.status === 202) ids.push(...(answer.body.runs ?? []).map((r) => r.runId));

    // A stalled connection errors only when the client's own timeout fires (30 s queries, decision 013).
    const boundMs = kind === 'cut' ? 20_000 : 45_000;
    const settled = await waitSettled(cluster, ids, boundMs + 30_000);
    const recoveryMs = settled.at === undefined ? null : settled.at - restoredAt;
    const died = cluster.workers.filter((w) => w.child.exitCode !== null || w.child.signalCode !== null);
    const t = await tally(cluster, payments, ids, 2);
    const problems = [...breaches(t, { recoveryMs, boundMs })];
    if (died.length) problems.push(`${died.length} of 2 workers exited during the outage`);
    if (kind === 'cut' && notReady.some((x) => !x))
      problems.push('/readyz did not answer 503 while the database was cut');
    if (answer.status === 0)
      problems.push(`an event posted during the outage got no answer (${JSON.stringify(answer.body)})`);
    problems.push(...t.details);
    record({
      id: `5-db-${kind}-postgres`,
      injection:
        kind === 'cut'
          ? 'database connections cut (reset, refused) for 3 s'
          : `database connections stalled (black hole) for ${outageMs / 1000} s, past the lease`,
      store: 'postgres',
      started: t.started,
      finished: t.finished,
      paused: t.paused,
      lost: t.lost,
      duplicated: t.duplicated,
      stuck: t.stuck,
      recoveryMs,
      contract: `two workers under a burst of ${RUNS} runs keep running${kind === 'cut' ? ' and report not ready (503) during the cut' : ''}; every run finishes with its charges landed once, within ${boundMs / 1000} s of the database coming back.`,
      problems,
      notes: `(An event posted during the outage was answered ${answer.status || 'nothing'}; workers that exited: ${died.length}.)`,
    });
    assert.deepEqual(problems, []);
  } finally {
    proxy.restore();
    await cluster.close();
    await proxy.close();
  }
}

describe('database outage under a burst (Postgres, through a proxy)', { skip: pgSkip }, () => {
  it('connections cut and refused for 3 s', () => scenario('cut'));
  it('connections stalled past the lease', () => scenario('stall'));
});
