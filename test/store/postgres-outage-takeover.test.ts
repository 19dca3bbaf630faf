// A database outage is not a crash of the worker (decision 054): on the real Postgres behind a loopback
// proxy, a worker holding a run and another worker both lose the database for longer than the lease. The
// run's lease runs out meanwhile; the other worker, back first, takes the run over without counting an
// attempt, so an outage cannot use up retry.maxAttempts of the runs in flight. A holder that stops renewing
// while the database is reachable (a worker that died, a crash loop) is still counted, takeover after
// takeover, also by a worker that had an outage before. Skipped, saying so, without Postgres.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { OUTAGE_MERGE_MS } from '../../src/store/postgres/connection-health.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import type { Store } from '../../src/store/types.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.js';

const skip = await postgresUnavailable();
const LEASE_MS = 1_000;

describe('Postgres: taking over a run whose lease ran out in an outage', { skip }, () => {
  const schema = freshSchema();
  let proxy: TcpProxy;
  let r: TestRole;
  let r2: TestRole;
  // The holder and the taker reach Postgres through the proxy; `direct` does not.
  let holder: Store;
  let taker: Store;
  let direct: Store;
  let enqueue: () => Promise<string>;
  let enqueueOther: () => Promise<string>;
  // One role per test below, so each claims its own run, not one an earlier test left running.
  const more: TestRole[] = [];
  let enqueueAs: (name: string) => Promise<string>;

  before(async () => {
    const target = new URL(TEST_DATABASE_URL);
    proxy = await startTcpProxy(Number(target.port || 5432), target.hostname);
    target.host = `127.0.0.1:${proxy.port}`;
    direct = openPostgresStore({ connectionString: TEST_DATABASE_URL, schema });
    const rt = await createRuntime({ store: direct });
    r = writeTestRole({ name: 'pg-outage-takeover', autonomy: 'sandbox', turns: [{ final: { ok: true } }] });
    const role = await loadRoleFile(r.file);
    enqueue = async () => (await rt.enqueue(role, {})).runId;
    r2 = writeTestRole({ name: 'pg-crash-loop', autonomy: 'sandbox', turns: [{ final: { ok: true } }] });
    const other = await loadRoleFile(r2.file);
    enqueueOther = async () => (await rt.enqueue(other, {})).runId;
    enqueueAs = async (name) => {
      const t = writeTestRole({ name, autonomy: 'sandbox', turns: [{ final: { ok: true } }] });
      more.push(t);
      return (await rt.enqueue(await loadRoleFile(t.file), {})).runId;
    };
    const viaProxy = { connectionString: target.toString(), schema, connectTimeoutMs: 500 };
    holder = openPostgresStore(viaProxy);
    taker = openPostgresStore(viaProxy);
    await holder.init();
    await taker.init();
  });

  after(async () => {
    await Promise.all([holder?.close(), taker?.close(), direct?.close()].map((p) => p?.catch(() => {})));
    await proxy?.close();
    await dropSchema(schema);
    r?.cleanup();
    r2?.cleanup();
    for (const t of more) t.cleanup();
  });

  const claim = async (store: Store, owner: string, leaseMs = LEASE_MS, role = 'pg-outage-takeover') => {
    const now = Date.now();
    const got = await store.claimNextRuns(owner, now + leaseMs, now, [role], {}, 1);
    return got[0]?.run;
  };

  it('does not count a takeover of a lease that ran out while the database was unreachable', async () => {
    const id = await enqueue();
    const held = await claim(holder, 'holder');
    assert.equal(held?.id, id);
    assert.equal(held?.attempt, 1);
    // The database goes away for both workers, for longer than the lease.
    proxy.refuse();
    proxy.cut();
    await assert.rejects(claim(taker, 'taker'), /STORE|connect|terminated|ECONN/i);
    await sleep(LEASE_MS + 800);
    await assert.rejects(claim(taker, 'taker'), /STORE|connect|terminated|ECONN/i);
    proxy.restore();
    // An aftershock: the taker loses the database once more, briefly, before it claims.
    await taker.getRun(id);
    proxy.refuse();
    proxy.cut();
    await assert.rejects(claim(taker, 'taker'), /STORE|connect|terminated|ECONN/i);
    proxy.restore();
    const taken = await claim(taker, 'taker');
    assert.equal(taken?.id, id, 'the lease ran out: the run is taken over');
    assert.equal(taken?.attempt, 1, 'the outage used up no attempt');
    const stored = await direct.getRun(id);
    assert.equal(stored?.leaseOwner, 'taker');
    assert.equal(stored?.attempt, 1);
  });

  it('does not count a takeover claimed while its own statement is still stalled in a black hole', async () => {
    // before: a stalled connection reported no failure until its 30 s query timeout, so a taker that
    // claimed on a fresh connection meanwhile had seen no outage and counted the takeover (audit: 4 of
    // 40 runs failed RUN_CRASHED with retry.maxAttempts 1 after a 5 s black hole).
    await sleep(OUTAGE_MERGE_MS + 200);
    const id = await enqueueAs('pg-stall-takeover');
    const held = await claim(holder, 'holder', LEASE_MS, 'pg-stall-takeover');
    assert.equal(held?.id, id);
    await taker.getRun(id); // the taker has an open pooled connection for the stall to catch
    // Both workers' statements go into a black hole; the taker's stays unanswered (no error yet).
    proxy.stall();
    const stuck = taker.getRun(id).catch(() => undefined);
    await sleep(LEASE_MS + 800);
    // The network is back for new connections; the stalled one is not (it would time out in 30 s).
    proxy.restore();
    const taken = await claim(taker, 'taker', LEASE_MS, 'pg-stall-takeover');
    assert.equal(taken?.id, id, 'the lease ran out: the run is taken over');
    assert.equal(taken?.attempt, 1, 'the stall used up no attempt');
    proxy.cut();
    await stuck;
  });

  it('does not count a takeover by a worker that was idle when the connections were cut', async () => {
    // A regression guard for the outage's start (the last success before the failed statement), not a
    // reproduction: here the pool's broken idle connection already reported the cut before the fix too.
    const id = await enqueueAs('pg-idle-takeover');
    // A success ends the taker's earlier outage; then its pool closes the idle connection (10 s), so the
    // cut below sends it no error: it learns of the outage only at its next statement.
    await taker.getRun(id);
    await sleep(OUTAGE_MERGE_MS + 200);
    const held = await claim(holder, 'holder', LEASE_MS, 'pg-idle-takeover');
    assert.equal(held?.id, id);
    proxy.refuse();
    proxy.cut();
    await sleep(LEASE_MS + 300);
    await assert.rejects(
      claim(taker, 'taker', LEASE_MS, 'pg-idle-takeover'),
      /STORE|connect|terminated|ECONN/i,
    );
    proxy.restore();
    const taken = await claim(taker, 'taker', LEASE_MS, 'pg-idle-takeover');
    assert.equal(taken?.id, id);
    assert.equal(taken?.attempt, 1, 'the outage used up no attempt');
  });

  it('still counts each takeover from a holder that stopped while the database was reachable', async () => {
    // Past the spared window of the taker's outage (its end plus one lease length); the outage is over
    // for good (OUTAGE_MERGE_MS) by the time the first takeover below is claimed.
    await sleep(OUTAGE_MERGE_MS + 200);
    const id = await enqueueOther();
    let run = await claim(holder, 'holder', 300, 'pg-crash-loop');
    assert.equal(run?.id, id);
    // The holder "dies": it renews no more. Each worker that takes the run over dies the same way.
    for (const [i, store] of [taker, direct, taker].entries()) {
      await sleep(400);
      run = await claim(store, `next-${i}`, 300, 'pg-crash-loop');
      assert.equal(run?.id, id);
      assert.equal(run?.attempt, i + 2, `takeover ${i + 1} counted`);
    }
  });
});
