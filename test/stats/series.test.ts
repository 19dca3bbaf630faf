// The console's charts' figures (src/stats/series.ts): runs written at known times into a real SQLite
// store land in the right hour or day bucket, per role and version, with the five figures of each
// bucket; the same whether closed hours come from the rollup or from the runs alone.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { computeSeries, parseRange, seriesBuckets } from '../../src/stats/series.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { writeRun } from '../contract/stats.js';
import { tempDir } from '../support/tmp.js';

const H = 3_600_000;
const DAY = 24 * H;
const T0 = 1_700_000_000_000; // writeRun's origin
/** Midnight UTC, the first hour of the 24h range below. */
const H0 = Date.UTC(2023, 10, 15);
/** writeRun's `created` for `ms` into hour `h` after H0. */
const at = (h: number, ms = 0) => H0 - T0 + h * H + ms;
/** Half past the range's last hour: hours 0 to 21 are closed (rolled up), 22 and 23 are not. */
const NOW = H0 + 23 * H + 30 * 60_000;

describe('the console charts: figures per role over time', () => {
  const tmp = tempDir('nightshift-series-');
  let store: Store;

  before(async () => {
    store = openSqliteStore({ path: join(tmp.path, 'nightshift.db') });
    await store.init();
    const a = { role: 'alpha', version: 'v1' } as const;
    // Hour 2: two succeeded and one failed, two tool calls each; durations 1, 2, 3 s; costs 1, 3, 2 cents.
    const calls: [string, 'allow', string][] = [
      ['fs.read', 'allow', 'succeeded'],
      ['fs.write', 'allow', 'succeeded'],
    ];
    await writeRun(store, {
      ...a,
      status: 'succeeded',
      created: at(2, 1),
      durationMs: 1000,
      costUsd: 0.01,
      calls,
    });
    await writeRun(store, {
      ...a,
      status: 'succeeded',
      created: at(2, 2),
      durationMs: 3000,
      costUsd: 0.03,
      calls,
    });
    await writeRun(store, {
      ...a,
      status: 'failed',
      created: at(2, 3),
      durationMs: 2000,
      costUsd: 0.02,
      errorCode: 'TOOL_FAILED',
      calls,
    });
    // Hour 5: one run that escalated.
    await writeRun(store, {
      ...a,
      status: 'succeeded',
      created: at(5, 10),
      durationMs: 500,
      escalations: [['money', 'tool_rule']],
    });
    // Hour 23 (still open): a run of another role; and one before the range, never counted.
    await writeRun(store, {
      role: 'beta',
      version: 'v2',
      status: 'succeeded',
      created: at(23, 5),
      durationMs: 10,
    });
    await writeRun(store, { ...a, status: 'succeeded', created: at(-1, 5), durationMs: 10 });
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  it('cuts 24h into hours and 7d/30d into UTC days, the last holding now', () => {
    const hours = seriesBuckets('24h', NOW);
    assert.equal(hours.length, 24);
    assert.deepEqual(hours[0], { start: H0, end: H0 + H });
    assert.deepEqual(hours.at(-1), { start: H0 + 23 * H, end: H0 + 24 * H });
    const days = seriesBuckets('30d', NOW);
    assert.equal(days.length, 30);
    assert.deepEqual(days.at(-1), { start: H0, end: H0 + DAY });
    assert.equal(days[0]!.start, H0 - 29 * DAY);
  });

  it('puts each run in the hour it was created, with the five figures of that hour', async () => {
    const s = await computeSeries(store, '24h', { now: NOW });
    assert.deepEqual(
      s.roles.map((r) => `${r.role}@${r.roleVersion}`),
      ['alpha@v1', 'beta@v2'],
    );
    const alpha = s.roles[0]!;
    assert.deepEqual(
      alpha.points.map((p, i) => (p ? i : null)).filter((i) => i !== null),
      [2, 5],
      'only hours 2 and 5 have runs of alpha (the run an hour before the range is not counted)',
    );
    const h2 = alpha.points[2]!;
    assert.equal(h2.runs, 3);
    assert.equal(h2.successRate, 2 / 3);
    assert.equal(h2.durationP50Ms, 2000);
    assert.equal(h2.toolCalls, 6);
    assert.equal(h2.toolCallsPerRun, 2);
    assert.ok(Math.abs(h2.costPerTaskUsd! - 0.02) < 1e-12, `mean cost ${h2.costPerTaskUsd}`);
    assert.equal(h2.escalationRate, 0);
    assert.equal(alpha.points[5]!.escalationRate, 1);
    assert.equal(alpha.points[5]!.toolCallsPerRun, 0);
    const beta = s.roles[1]!;
    assert.equal(beta.points[23]!.runs, 1, 'the open hour is answered from the runs');
    assert.equal(beta.points.filter(Boolean).length, 1);
  });

  it('answers the same from the rollup as from the runs alone', async () => {
    const rolled = await computeSeries(store, '24h', { now: NOW });
    const fromRuns = await computeSeries(store, '24h', { now: NOW, rollup: false });
    assert.deepEqual(rolled, fromRuns);
    const days = await computeSeries(store, '7d', { now: NOW });
    assert.deepEqual(days, await computeSeries(store, '7d', { now: NOW, rollup: false }));
  });

  it('puts a day of runs in one day bucket (7d), the run of the day before in its own', async () => {
    const s = await computeSeries(store, '7d', { now: NOW });
    assert.equal(s.buckets.length, 7);
    const alpha = s.roles.find((r) => r.role === 'alpha')!;
    assert.equal(alpha.points[6]!.runs, 4);
    assert.equal(alpha.points[6]!.escalationRate, 1 / 4);
    assert.equal(alpha.points[5]!.runs, 1, 'the run an hour before midnight is the day before');
    assert.deepEqual(alpha.points.slice(0, 5), [null, null, null, null, null]);
  });

  it('takes 24h, 7d or 30d (7d by default) and refuses any other range, naming them', () => {
    assert.equal(parseRange(null), '7d');
    assert.equal(parseRange('30d'), '30d');
    assert.throws(
      () => parseRange('1y'),
      (e: Error & { code?: string }) => e.code === 'USAGE' && /24h, 7d, 30d/.test(e.message),
    );
    assert.throws(() => parseRange('toString'), /unknown range/);
  });
});
