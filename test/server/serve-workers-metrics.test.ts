// GET /metrics on a real `nightshift serve --workers 2` (a parent and one forked worker-only child, on
// loopback, sharing an embedded store): runs executed by either process are in the parent's scrape, and
// after the child is killed with SIGKILL and started again, no counter goes backwards and later runs
// are counted on top of the dead child's.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { authFor, type Served, startServe } from '../support/cli.js';
import { parseScrape, type Scrape } from '../support/prometheus.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const LEDGER = 'ledger.append_once';
const made: TestRole[] = [];
function role(name: string, args: Record<string, unknown>): TestRole {
  const r = writeTestRole({
    name,
    autonomy: 'full',
    tools: [LEDGER],
    turns: [{ call: LEDGER, args }, { final: { summary: 'ok' } }],
    extra: { triggers: [{ event: name }] },
  });
  made.push(r);
  return r;
}

async function emit(url: string, event: string): Promise<void> {
  const res = await fetch(`${url}/events/${event}`, {
    method: 'POST',
    headers: { ...authFor(url), 'content-type': 'application/json' },
    body: '{}',
  });
  assert.equal(res.status, 202, await res.text());
}

async function scrape(url: string): Promise<Scrape> {
  const res = await fetch(`${url}/metrics`, { headers: authFor(url) });
  assert.equal(res.status, 200);
  return parseScrape(await res.text());
}

const finished = (s: Scrape, role: string) =>
  s.value('nightshift_runs_finished_total', { role, status: 'succeeded', error_code: 'none' }) ?? 0;

/** Every series of every counter family in `s`, by family and labels. */
function counters(s: Scrape): Map<string, number> {
  const out = new Map<string, number>();
  for (const [name, family] of s.families)
    if (family.type === 'COUNTER' && name.startsWith('nightshift_'))
      for (const x of s.series(name)) out.set(`${name}${JSON.stringify(x.labels)}`, x.value);
  return out;
}

describe('GET /metrics on serve --workers 2', () => {
  // held-bot's run waits inside its tool until released, so the process that took it (one slot each)
  // cannot take quick-bot's runs: the other process runs them.
  const held = role('held-bot', { entry: 'held', hold: 'h' });
  const quick = role('quick-bot', { entry: 'quick' });
  let served: Served | undefined;
  after(async () => {
    // The drain writes to the data dir (its worker processes too): removed only once the daemon is gone.
    const child = served?.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const cut = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(cut);
    }
    for (const r of made) r.cleanup();
  });

  it("counts both processes' runs, and keeps counting across a child killed and restarted", async () => {
    served = await startServe([
      held.dir,
      quick.dir,
      '--port',
      '0',
      '--data-dir',
      held.dataDir,
      '--poll-ms',
      '20',
      '--workers',
      '2',
      '--concurrency',
      '1',
    ]);
    const url = served.url;
    const parent = served.child.pid!;

    await emit(url, 'held-bot');
    const reached = join(held.workspace, 'reached-h');
    const holder = Number(
      await waitFor(
        async () => (existsSync(reached) ? readFileSync(reached, 'utf8') || undefined : undefined),
        'held-bot in its tool',
      ),
    );
    for (let i = 0; i < 6; i++) await emit(url, 'quick-bot');
    await waitFor(
      async () => (finished(await scrape(url), 'quick-bot') === 6 ? true : undefined),
      '6 quick runs',
    );
    writeFileSync(join(held.workspace, 'release-h'), '');
    const before = await waitFor(async () => {
      const s = await scrape(url);
      return finished(s, 'held-bot') === 1 ? s : undefined;
    }, 'the held run');

    // The runs were split between the two processes: which one ran each is in its model turns.
    const store = openSqliteStore({ dataDir: held.dataDir });
    await store.init();
    const ranBy = async (roleName: string) => {
      const pids = new Set<number>();
      for (const run of await store.listRuns({ role: roleName, limit: 100 })) {
        const turn = (await store.loadRun(run.id))!.steps.find((s) => s.kind === 'model_turn');
        pids.add(Number(String(turn!.data.worker).split('/')[1]));
      }
      return pids;
    };
    assert.deepEqual([...(await ranBy('held-bot'))], [holder]);
    const quickPids = await ranBy('quick-bot');
    assert.equal(quickPids.size, 1);
    assert.ok(!quickPids.has(holder), 'quick-bot ran in the other process');
    const child = [holder, ...quickPids].find((pid) => pid !== parent);
    assert.ok(child, `one of the processes that ran something (${holder}, ${[...quickPids]}) is the child`);

    // Both processes' counts and the worker gauges, summed.
    assert.equal(before.value('nightshift_runs_started_total', { role: 'quick-bot' }), 6);
    assert.equal(
      before.value('nightshift_tool_calls_total', { role: 'quick-bot', tool: LEDGER, outcome: 'succeeded' }),
      6,
    );
    assert.equal(
      before.histogram('nightshift_run_duration_seconds', { role: 'quick-bot', status: 'succeeded' })?.count,
      6,
    );
    assert.equal(
      before.histogram('nightshift_run_duration_seconds', { role: 'held-bot', status: 'succeeded' })?.count,
      1,
    );
    assert.equal(before.value('nightshift_worker_slots'), 2);
    assert.equal(before.value('nightshift_worker_processes'), 2);
    assert.equal(before.value('nightshift_worker_exits_total'), 0);

    // The child dies without a word; serve starts another. No counter goes backwards meanwhile.
    process.kill(child, 'SIGKILL');
    const dead = await scrape(url);
    const restarted = await waitFor(async () => {
      const s = await scrape(url);
      return s.value('nightshift_worker_exits_total') === 1 && s.value('nightshift_worker_slots') === 2
        ? s
        : undefined;
    }, 'a new worker child answering');
    for (const s of [dead, restarted])
      for (const [series, value] of counters(before))
        if (!series.startsWith('nightshift_worker_exits_total'))
          assert.ok(
            (counters(s).get(series) ?? 0) >= value,
            `${series} went from ${value} back to ${counters(s).get(series)}`,
          );
    assert.equal(finished(restarted, 'quick-bot'), 6);
    assert.equal(finished(restarted, 'held-bot'), 1);

    // Runs after the restart add to the totals, whichever process runs them.
    for (let i = 0; i < 4; i++) await emit(url, 'quick-bot');
    const last = await waitFor(async () => {
      const s = await scrape(url);
      return finished(s, 'quick-bot') >= 10 ? s : undefined;
    }, '10 quick runs counted');
    assert.equal(finished(last, 'quick-bot'), 10);
    assert.equal(
      last.histogram('nightshift_run_duration_seconds', { role: 'quick-bot', status: 'succeeded' })?.count,
      10,
    );
    assert.equal((await store.countRuns(['succeeded'])).succeeded, 11);
    await store.close();
  });
});
