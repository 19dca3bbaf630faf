// A continuous agent (one long-lived agent per role, leased and heartbeated, its state and inbox in the
// store) under the faults the job-run scenarios inject: (a) kill -9 of the serve holding it in the middle
// of a non-idempotent call; (b) its worker frozen (SIGSTOP) past the agent's lease while another worker
// takes over, then woken; (c) the store cut away while the agent is between events and while it is in a
// call. Contract: every event in the inbox is handled by exactly one run, no charge is made twice (a call
// whose outcome is unknown pauses for a person, who answers from the payments record), the agent ends
// idle with the context its last event stored, held by a live worker whose heartbeat moves on, and a
// woken stale holder changes nothing.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../src/store/sqlite/open.js';
import { postgresUnavailable } from '../test/support/postgres.js';
import { fillDisk, mountSmallDisk, smallDiskSkip } from '../test/support/small-disk.js';
import { startTcpProxy, type TcpProxy } from '../test/support/tcp-proxy.js';
import { waitFor } from '../test/support/wait.js';
import { agentBreaches, tallyInbox, waitDrained } from './support/agent.js';
import { breaches } from './support/check.js';
import {
  type Cluster,
  emitToInbox,
  openCluster,
  pidOfOwner,
  postEvent,
  type StoreKind,
  workerByPid,
} from './support/cluster.js';
import { freezeChargeHolder, wakeChargeHolder } from './support/frozen-holder.js';
import { type Payments, startPayments } from './support/payments.js';
import { record } from './support/results.js';

const pgSkip = await postgresUnavailable();
/** The agent's lease: short, so a takeover by expiry fits the bound (a dead holder here is taken at once). */
const LEASE_SECONDS = 2;
const CONTEXT = { handled: true };

let payments: Payments;
before(async () => {
  payments = await startPayments();
});
after(() => payments.close());

function openAgent(
  kind: StoreKind,
  proxyPort?: number,
  modelDelayMs = 0,
  dataDir?: string,
): Promise<Cluster> {
  return openCluster({
    kind,
    payments,
    tools: ['payments.charge'],
    ...(proxyPort ? { proxyPort } : {}),
    ...(dataDir ? { dataDir } : {}),
    turns: [
      { call: 'payments.charge', args: { amount: 1 } },
      { final: { context: CONTEXT }, ...(modelDelayMs ? { delayMs: modelDelayMs } : {}) },
    ],
    roleExtra: {
      mode: 'continuous',
      continuous: { leaseSeconds: LEASE_SECONDS, heartbeatSeconds: 0.2, backoffSeconds: 0.2 },
    },
  });
}

/** Emits one event and waits for the agent to handle it: the agent is up and idle before the fault. */
async function warmUp(cluster: Cluster, prefix: string): Promise<string[]> {
  const items = await emitToInbox(cluster.workers[0]!.url, 1, `${prefix}-warm`);
  assert.equal(items.length, 1, 'the warm-up event was not accepted');
  const drained = await waitDrained(cluster, payments, items, 30_000);
  assert.ok(drained.at, 'the agent did not handle the warm-up event');
  return items;
}

interface Outcome {
  id: string;
  injection: string;
  kind: StoreKind;
  items: string[];
  from: number;
  boundMs: number;
  contract: string;
  /** Unknown outcomes the contract has the agent pause on (and the checker answer): a count, or a range. */
  pauses: number | readonly [number, number];
  /** When the fault was over, if that came before the final drain (it is measured to that). */
  recoveredAt?: number;
  /** Unknown outcomes the checker already answered before the final drain. */
  answeredBefore?: number;
  extra?: string[];
  notes?: string;
}

/** Drains the inbox, counts, checks the agent and records the row; asserts the contract held. */
async function settle(cluster: Cluster, o: Outcome): Promise<void> {
  const drained = await waitDrained(cluster, payments, o.items, o.boundMs + 30_000);
  const end = o.recoveredAt ?? drained.at;
  const recoveryMs = end === undefined ? null : end - o.from;
  const t = await tallyInbox(cluster, payments, o.items, 1);
  const paused = (o.answeredBefore ?? 0) + drained.answered;
  const live = cluster.workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
  const problems = [
    ...breaches(t, { recoveryMs, boundMs: o.boundMs }),
    ...t.details,
    ...(await agentBreaches(cluster, {
      context: CONTEXT,
      holders: live.map((w) => w.child.pid!),
    })),
    ...(o.extra ?? []),
  ];
  const [least, most] = typeof o.pauses === 'number' ? [o.pauses, o.pauses] : o.pauses;
  if (paused < least || paused > most)
    problems.push(
      `${paused} unknown outcomes answered, expected ${least === most ? least : `${least} to ${most}`} (a call re-run blindly, or a pause for nothing)`,
    );
  record({
    id: o.id,
    injection: o.injection,
    store: o.kind,
    started: t.started,
    finished: t.finished,
    paused,
    lost: t.lost,
    duplicated: t.duplicated,
    stuck: t.stuck,
    recoveryMs,
    contract: o.contract,
    problems,
    ...(o.notes ? { notes: o.notes } : {}),
  });
  assert.deepEqual(problems, []);
}

/**
 * The model turn after a handled charge is slow here, so a kill can land in it. Every such turn is slowed,
 * the successor's included, so the row's recovery bound (15 s) pays it once per event left: 5 s here made
 * the rows miss it (15.3 s).
 */
const MODEL_DELAY_MS = 2_000;

/**
 * (a) kill -9 of the serve holding the agent: during the model turn after the second event's charge was
 * committed (nothing is unknown: the successor goes on from the stored steps), or during the charge
 * itself (made, its result not committed: an unknown outcome, for a person).
 */
async function killHolder(kind: StoreKind, at: 'model' | 'call'): Promise<void> {
  const cluster = await openAgent(kind, undefined, at === 'model' ? MODEL_DELAY_MS : 0);
  try {
    for (let i = 0; i < (kind === 'postgres' ? 2 : 1); i++) await cluster.startWorker();
    const items = await warmUp(cluster, `agent-kill-${at}-${kind}`);
    if (at === 'call') payments.arm('after');
    items.push(...(await emitToInbox(cluster.workers[0]!.url, 3, `agent-kill-${at}-${kind}`)));
    assert.equal(items.length, 4, 'not every event was accepted');
    let pid: number;
    if (at === 'call') pid = (await payments.held('after')).pid;
    else {
      // Land the kill from the store: the second event's charge committed, its final turn not yet.
      const run = await waitFor(async () => {
        const runs = await cluster.store.listRuns({ limit: 1000 });
        const r = runs.find((x) => x.idempotencyKey === `inbox:${items[1]}`);
        const snap = r ? await cluster.store.loadRun(r.id) : undefined;
        return snap?.toolCalls[0]?.status === 'succeeded' && snap.run.status === 'running'
          ? snap.run
          : undefined;
      }, 'the second event’s charge to be committed');
      pid = pidOfOwner(run.leaseOwner)!;
    }
    await cluster.kill(workerByPid(cluster, pid));
    payments.releaseAll();
    let from = Date.now();
    if (kind === 'sqlite') {
      await cluster.startWorker();
      from = Date.now();
    }
    const boundMs = 15_000;
    await settle(cluster, {
      id: `9-continuous-kill-${at}-${kind}`,
      injection:
        at === 'model'
          ? 'continuous agent: kill -9 of its serve during a model turn (the charge committed)'
          : 'continuous agent: kill -9 of its serve during a non-idempotent call (charged, not committed)',
      kind,
      items,
      from,
      boundMs,
      pauses: at === 'call' ? 1 : 0,
      contract: `${kind === 'sqlite' ? 'the restarted daemon' : 'the other worker'} takes the agent over from its stored state${at === 'call' ? '; the interrupted call pauses as `unknown_outcome` and is answered from the payments record' : ' and goes on without a pause'}; every inbox item is handled by one run with one charge; the agent ends idle with its context, heartbeating; within ${boundMs / 1000} s.`,
    });
  } finally {
    payments.releaseAll();
    await cluster.close();
  }
}

/** (b) the holder frozen between the claim of a charge and the charge, past the agent's lease. */
async function freezeHolder(): Promise<void> {
  const cluster = await openAgent('postgres');
  try {
    for (let i = 0; i < 2; i++) await cluster.startWorker();
    const items = await warmUp(cluster, 'agent-frozen');
    payments.arm('before');
    items.push(...(await emitToInbox(cluster.workers[0]!.url, 1, 'agent-frozen')));
    const frozen = await freezeChargeHolder(cluster, payments);
    const zombie = frozen.worker;
    // The other worker takes the agent over once the lease is out, pauses the claimed call as an unknown
    // outcome; the checker sees no charge and lets it run once; then more events arrive.
    const survivor = cluster.workers.find((w) => w !== zombie)!;
    const first = await waitDrained(cluster, payments, items, 30_000);
    assert.ok(first.at, 'the other worker did not finish the frozen holder’s event');
    const before = await cluster.store.getAgent('payer');

    // Wake the zombie with its held request answered, as after a long GC pause or a VM stall.
    const woke = await wakeChargeHolder(payments, frozen);
    const extra: string[] = [];
    if (woke?.outcome === 'charged') extra.push('the woken worker charged on a lease it had lost');
    // It must notice the lost lease (its heartbeat is refused) and drop the agent, not act on it.
    const dropped = await waitFor(
      async () => (zombie.stdout().includes('"agent lost"') ? true : undefined),
      'the woken worker to drop the agent',
      15_000,
    ).catch(() => false);
    if (!dropped) extra.push('the woken worker did not notice it had lost the agent');
    // A graceful stop waits for the step it was in: after it, every write the zombie will make is made.
    // Nothing else wrote meanwhile (the inbox is empty), so the agent must be exactly as the survivor left
    // it but for its lease and heartbeat.
    zombie.child.kill('SIGTERM');
    const stopped = await Promise.race([zombie.done.then(() => true), sleep(30_000).then(() => false)]);
    if (!stopped) {
      extra.push('the woken worker did not stop within 30 s of SIGTERM');
      zombie.child.kill('SIGKILL');
      await zombie.done;
    }
    const now = await cluster.store.getAgent('payer');
    const state = (a: typeof now) => JSON.stringify({ ...a, leaseUntil: 0, heartbeatAt: 0 });
    if (state(now) !== state(before))
      extra.push(`the woken worker changed the agent: ${state(before)} became ${state(now)}`);
    items.push(...(await emitToInbox(survivor.url, 2, 'agent-frozen-after')));
    await settle(cluster, {
      id: '9-continuous-frozen-postgres',
      injection:
        'continuous agent: its worker frozen (SIGSTOP) between claim and call past the lease, then SIGCONT',
      kind: 'postgres',
      items,
      from: frozen.at,
      boundMs: 2 * LEASE_SECONDS * 1000 + 10_000,
      pauses: 1,
      answeredBefore: first.answered,
      recoveredAt: first.at,
      contract:
        'the other worker takes the agent over after its lease and pauses the claimed call (`unknown_outcome`), answered once; the woken holder is fenced: its call is aborted or refused, and it neither saves the agent nor takes it back; every item handled once with one charge.',
      extra,
      notes: `(The woken worker's call: ${woke?.outcome ?? 'no report'}.)`,
    });
  } finally {
    payments.releaseAll();
    await cluster.close();
  }
}

/** How long SQLite's write lock is held from outside: past the store's busy timeout and the agent's lease. */
const SQLITE_LOCK_MS = 8_000;

/**
 * (c) the store taken away while the agent is between events or in a call: on Postgres every connection
 * cut for 3 s (reset, new ones refused), or black-holed (`stall`: no byte moves for past the agent's
 * lease, and the connections open meanwhile never move again, as after a dropped NAT mapping: only the
 * worker's own query timeout, 30 s, gets it out of them); on SQLite the database's write lock held for 8 s
 * by another process's open write transaction (a backup, a `sqlite3` shell), so every write the daemon
 * tries fails with SQLITE_BUSY after its busy timeout, past the agent's lease.
 */
async function storeOutage(
  kind: StoreKind,
  when: 'idle' | 'in-call',
  how: 'cut' | 'stall' = 'cut',
): Promise<void> {
  const proxy: TcpProxy | undefined = kind === 'postgres' ? await startTcpProxy(5432) : undefined;
  const cluster = await openAgent(kind, proxy?.port);
  let lock: Database.Database | undefined;
  try {
    await cluster.startWorker();
    const items = await warmUp(cluster, `agent-out-${kind}-${when}`);
    if (when === 'in-call') {
      payments.arm('after');
      items.push(...(await emitToInbox(cluster.workers[0]!.url, 1, `agent-out-${kind}-${when}`)));
      await payments.held('after');
    }
    let outageMs: number;
    if (proxy && how === 'stall') {
      outageMs = LEASE_SECONDS * 2_000 + 1_000;
      proxy.stall();
    } else if (proxy) {
      outageMs = 3_000;
      proxy.refuse();
      proxy.cut();
    } else {
      outageMs = SQLITE_LOCK_MS;
      lock = new Database(join(cluster.role.dataDir, DATABASE_FILE));
      lock.exec('BEGIN IMMEDIATE');
    }
    payments.releaseAll();
    await sleep(outageMs);
    if (proxy) proxy.restore();
    else {
      lock?.exec('COMMIT');
      lock?.close();
      lock = undefined;
    }
    const from = Date.now();
    items.push(...(await emitToInbox(cluster.workers[0]!.url, 2, `agent-out-${kind}-${when}-after`)));
    // A black-holed connection errors only when the worker's query timeout fires (30 s, decision 013).
    const boundMs = how === 'stall' ? 45_000 : 20_000;
    const fault = !proxy
      ? `SQLite write lock held by another process for ${SQLITE_LOCK_MS / 1000} s`
      : how === 'stall'
        ? `database connections black-holed for ${outageMs / 1000} s, past the lease (those open stay dead)`
        : 'database connections cut for 3 s';
    await settle(cluster, {
      id: `9-continuous-store-${how === 'stall' ? 'blackhole' : 'out'}-${when}-${kind}`,
      injection: `continuous agent: ${fault} ${when === 'idle' ? 'between events' : 'during a non-idempotent call'}`,
      kind,
      items,
      from,
      boundMs,
      // A result the tool returned while the store was away may be committed late or asked about.
      pauses: when === 'in-call' ? [0, 1] : 0,
      contract: `the daemon rides the outage out and keeps (or takes back) the agent; every event accepted before and after it is handled by one run with one charge (a call whose result could not be committed pauses as \`unknown_outcome\`); the heartbeat moves on; within ${boundMs / 1000} s of the store coming back.`,
    });
  } finally {
    if (lock) {
      lock.exec('ROLLBACK');
      lock.close();
    }
    proxy?.restore();
    payments.releaseAll();
    await cluster.close();
    await proxy?.close();
  }
}

/** How big the agent's data dir is in the full-disk row, and each event's padding (to fill it faster). */
const TMPFS_MB = 4;
const PADDING = 'x'.repeat(16_000);
const FULL_EVENTS = 20;

/**
 * (d) the embedded daemon's disk full under the agent (its data dir a 4 MB tmpfs, filled by another file)
 * while events arrive and the agent works, then freed. While full an event is accepted (and later handled)
 * or refused with an answer naming the full disk; a charge whose result could not be written pauses as an
 * unknown outcome; once space is back the agent handles everything accepted, keeps its context and beats.
 */
async function fullDisk(): Promise<void> {
  const disk = mountSmallDisk('nightshift-agent-disk-', TMPFS_MB);
  if (typeof disk === 'string') throw new Error(disk);
  const dataDir = join(disk.dir, 'data');
  const cluster = await openAgent('sqlite', undefined, 0, dataDir);
  try {
    const worker = await cluster.startWorker();
    const items = await warmUp(cluster, 'agent-disk');
    const filler = fillDisk(disk.dir);
    const extra: string[] = [];
    const whileFull = await Promise.all(
      Array.from({ length: FULL_EVENTS }, (_, i) =>
        postEvent(worker.url, `agent-disk-full-${i}`, { padding: PADDING }),
      ),
    );
    for (const a of whileFull) if (a.inboxId) items.push(a.inboxId);
    // SQLite reuses its WAL's pages: with none refused, the disk was not full to the store at all.
    if (whileFull.every((a) => a.inboxId))
      extra.push('no event was refused while the disk was full: the row tested nothing');
    const unexplained = whileFull.filter((a) => !a.inboxId && !/disk|space|full/i.test(a.text));
    if (unexplained.length > 0)
      extra.push(
        `${unexplained.length} events refused while the disk was full were answered without saying so (${unexplained[0]!.status} ${unexplained[0]!.text.slice(0, 80)})`,
      );
    // Past the agent's lease: its heartbeats and the handlings' commits meet the full disk meanwhile.
    await sleep(LEASE_SECONDS * 1_000 + 1_000);
    rmSync(filler);
    const from = Date.now();
    // An at-least-once producer retries an event until it is accepted; each must be, soon.
    for (let i = 0; i < 3; i++) {
      const item = await waitFor(
        async () => (await postEvent(worker.url, `agent-disk-after-${i}`, { padding: PADDING })).inboxId,
        `event ${i} to be accepted once space is back`,
        5_000,
      ).catch(() => undefined);
      if (item) items.push(item);
      else extra.push(`event ${i} was not accepted within 5 s of space coming back`);
    }
    const accepted = whileFull.filter((a) => a.inboxId).length;
    const boundMs = 30_000;
    await settle(cluster, {
      id: '9-continuous-disk-full-sqlite',
      injection: `continuous agent: its data dir (a ${TMPFS_MB} MB tmpfs) filled while events arrive, past the lease, then freed`,
      kind: 'sqlite',
      items,
      from,
      boundMs,
      // Each event accepted while full may have been charged with its result unwritable: asked about once.
      pauses: [0, accepted],
      extra,
      contract: `while full, an event is accepted or refused with an answer naming the full disk; once space is back 3 of 3 new events are accepted, and every accepted event is handled by one run with one charge (a charge whose result could not be written pauses as \`unknown_outcome\`), the agent idle with its context and its heartbeat moving on, within ${boundMs / 1000} s.`,
      notes: `(While full: ${FULL_EVENTS - accepted} of ${FULL_EVENTS} events refused.)`,
    });
  } finally {
    payments.releaseAll();
    await cluster.close();
    disk.unmount();
  }
}

describe('continuous agent: kill -9 of the serve holding it', () => {
  it('the embedded daemon (SQLite), during a model turn, restarted', () => killHolder('sqlite', 'model'));
  it('the embedded daemon (SQLite), during a call, restarted', () => killHolder('sqlite', 'call'));
  it('one of two Postgres workers, during a model turn', { skip: pgSkip }, () =>
    killHolder('postgres', 'model'),
  );
  it('one of two Postgres workers, during a call', { skip: pgSkip }, () => killHolder('postgres', 'call'));
});

describe('continuous agent: its worker frozen past the lease, then woken (Postgres)', {
  skip: pgSkip,
}, () => {
  it('another worker takes over; the woken one is fenced', () => freezeHolder());
});

describe('continuous agent: the store away (Postgres cut or black-holed through a proxy; SQLite write-locked)', () => {
  it('SQLite, between events', () => storeOutage('sqlite', 'idle'));
  it('SQLite, during a non-idempotent call', () => storeOutage('sqlite', 'in-call'));
  it('Postgres, between events', { skip: pgSkip }, () => storeOutage('postgres', 'idle'));
  it('Postgres, during a non-idempotent call', { skip: pgSkip }, () => storeOutage('postgres', 'in-call'));
  it('Postgres black-holed past the lease, between events', { skip: pgSkip }, () =>
    storeOutage('postgres', 'idle', 'stall'),
  );
  it('Postgres black-holed past the lease, during a non-idempotent call', { skip: pgSkip }, () =>
    storeOutage('postgres', 'in-call', 'stall'),
  );
});

describe('continuous agent: a full disk under the embedded daemon', { skip: smallDiskSkip() }, () => {
  it('SQLite, filled while events arrive, then freed', () => fullDisk());
});
