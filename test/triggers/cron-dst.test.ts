// Cron in a time zone across daylight-saving changes (docs/deployment.md, "Cron"), read from fixed
// instants with the options every worker schedules with (no waiting on a real clock). Europe/Paris goes
// forward at 02:00 on 2026-03-29 (02:00–02:59 do not exist) and back at 03:00 on 2026-10-25 (02:00–02:59
// happen twice). A schedule that names its times of day runs once a day at each of them, whatever the
// change; a schedule with `*` or a step in its time fields keeps its interval in real time.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Cron } from 'croner';
import { cronOptions, tickKey } from '../../src/triggers/cron.js';

const PARIS = 'Europe/Paris';

/** The next `n` ticks after `from`, as "UTC instant / Paris wall time". */
function ticks(schedule: string, from: string, n: number): string[] {
  const cron = new Cron(schedule, { ...cronOptions(PARIS), paused: true });
  return cron
    .nextRuns(n, new Date(from))
    .map(
      (d) => `${d.toISOString().slice(0, 16)}Z / ${d.toLocaleString('sv', { timeZone: PARIS }).slice(0, 16)}`,
    );
}

describe('cron across daylight-saving changes (Europe/Paris)', () => {
  it('a fixed time in the spring-forward gap runs once, right after the gap', () => {
    assert.deepEqual(ticks('30 2 * * *', '2026-03-28T12:00:00Z', 2), [
      '2026-03-29T01:00Z / 2026-03-29 03:00',
      '2026-03-30T00:30Z / 2026-03-30 02:30',
    ]);
  });

  it('a list of fixed times is not lost in the gap (croner counts it as an interval by default)', () => {
    assert.deepEqual(ticks('30 2,14 * * *', '2026-03-28T20:00:00Z', 3), [
      '2026-03-29T01:00Z / 2026-03-29 03:00',
      '2026-03-29T12:30Z / 2026-03-29 14:30',
      '2026-03-30T00:30Z / 2026-03-30 02:30',
    ]);
  });

  it('a fixed time that happens twice at fall-back runs once, at its first occurrence', () => {
    for (const schedule of ['30 2 * * *', '30 2,14 * * *'])
      assert.deepEqual(
        ticks(schedule, '2026-10-24T20:00:00Z', 2).filter((t) => t.includes('/ 2026-10-25 02:30')),
        ['2026-10-25T00:30Z / 2026-10-25 02:30'],
        schedule,
      );
  });

  it('an interval keeps running through the repeated hour and skips the missing one', () => {
    assert.deepEqual(ticks('*/30 * * * *', '2026-10-25T00:10:00Z', 4), [
      '2026-10-25T00:30Z / 2026-10-25 02:30',
      '2026-10-25T01:00Z / 2026-10-25 02:00',
      '2026-10-25T01:30Z / 2026-10-25 02:30',
      '2026-10-25T02:00Z / 2026-10-25 03:00',
    ]);
    assert.deepEqual(ticks('*/30 * * * *', '2026-03-29T00:10:00Z', 2), [
      '2026-03-29T00:30Z / 2026-03-29 01:30',
      '2026-03-29T01:00Z / 2026-03-29 03:00',
    ]);
  });

  it('the two 02:30 ticks of the repeated hour have two keys (one run each)', () => {
    const role = { name: 'r' } as Parameters<typeof tickKey>[0];
    const keys = new Cron('*/30 * * * *', { ...cronOptions(PARIS), paused: true })
      .nextRuns(3, new Date('2026-10-25T00:10:00Z'))
      .map((d) => tickKey(role, d));
    assert.equal(new Set(keys).size, 3);
    assert.equal(keys[0], 'cron:r:2026-10-25T00:30:00.000Z');
  });
});
