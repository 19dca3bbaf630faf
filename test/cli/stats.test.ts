// `nightshift stats` through the real CLI and engine: runs of a scripted role whose change sets are
// approved, rejected and left waiting, then the figures in --json and in the table; bad flags exit 2.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { StatsReport } from '../../src/stats/report.js';
import { json, runCli } from '../support/cli.js';
import { inStore } from '../support/crash-points.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

describe('nightshift stats', () => {
  let r: TestRole;
  after(() => r?.cleanup());

  it('reports the runs the engine made: statuses, tool calls by decision and outcome, approvals', async () => {
    r = writeTestRole({
      name: 'stats-role',
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: { summary: 'done' } }],
    });
    const dd = ['--data-dir', r.dataDir];
    const paused = async () => {
      const res = await runCli(['run', r.file, '--json', ...dd]);
      assert.equal(res.code, 3, res.stderr);
      const inbox = json<{ approvals: { id: string }[] }>(await runCli(['inbox', '--json', ...dd]));
      return inbox.approvals.at(-1)!.id;
    };
    assert.equal((await runCli(['approve', await paused(), ...dd])).code, 0);
    assert.equal((await runCli(['reject', await paused(), '--reason', 'no', ...dd])).code, 0);
    await paused();

    const res = await runCli(['stats', '--json', '--role', 'stats-role', '--since', '1h', ...dd]);
    assert.equal(res.code, 0, res.stderr);
    const report = json<StatsReport>(res);
    assert.equal(report.filter.role, 'stats-role');
    assert.equal(report.groups.length, 1);
    const [g] = report.groups;
    assert.equal(g?.runs.total, 3);
    assert.equal(g?.runs.byStatus.succeeded, 2);
    assert.equal(g?.runs.byStatus.awaiting_approval, 1);
    assert.equal(g?.runs.successRate, 1);
    assert.deepEqual(g?.toolCalls.byDecision, { allowed: 0, drafted: 3, denied: 0, escalated: 0 });
    assert.deepEqual(g?.toolCalls.byTool, { 'fs.write': 3 });
    assert.deepEqual(g?.toolCalls.byOutcome, { succeeded: 1, rejected: 1, drafted: 1 });
    assert.deepEqual(g?.approvals.byStatus, { pending: 1, approved: 1, rejected: 1, cancelled: 0 });
    assert.equal(g?.approvals.approveRate, 0.5);
    assert.equal(g?.approvals.timeToDecisionMs.count, 2);
    assert.equal(g?.latency.queueWaitMs.count, 3);
    assert.equal(g?.latency.durationMs.count, 2);

    // `--version` after `stats` is its role-version filter, not the program's version (--version is an
    // option of nightshift itself, recognised only before the command).
    const version = g!.roleVersion;
    const byVersion = json<StatsReport>(await runCli(['stats', '--json', '--version', version, ...dd]));
    assert.deepEqual(
      byVersion.groups.map((x) => [x.role, x.roleVersion, x.runs.total]),
      [['stats-role', version, 3]],
    );
    // A unique prefix names the version, as for promote and eval --baseline; the report's filter says
    // the whole hash it resolved to.
    const byPrefix = json<StatsReport>(
      await runCli(['stats', '--json', '--version', version.slice(0, 6), ...dd]),
    );
    assert.equal(byPrefix.filter.version, version);
    assert.deepEqual(
      byPrefix.groups.map((x) => [x.role, x.roleVersion, x.runs.total]),
      [['stats-role', version, 3]],
    );
    const none = await runCli(['stats', '--json', '--version', 'no-such-version', ...dd]);
    assert.equal(none.code, 2, none.stderr);
    assert.match(
      none.stderr,
      /VERSION_NOT_FOUND.*no role has a stored version starting with 'no-such-version' \(nightshift versions <role> lists them\)/,
    );
    // Another stored version with the same first characters: the short prefix is ambiguous (USAGE, exit
    // 2, both named), a longer one is not.
    const other = `${version.slice(0, 4)}${version.slice(4).replace(/./g, (c) => (c === 'f' ? 'e' : 'f'))}`;
    await inStore(r.dataDir, (store) =>
      store.putRoleVersion({ name: 'stats-role', version: other, spec: {}, createdAt: Date.now() }),
    );
    const ambiguous = await runCli(['stats', '--json', '--version', version.slice(0, 4), ...dd]);
    assert.equal(ambiguous.code, 2, ambiguous.stderr);
    assert.match(ambiguous.stderr, /USAGE.*--version \w{4} is ambiguous/);
    assert.ok(
      ambiguous.stderr.includes(`stats-role@${version}`) && ambiguous.stderr.includes(`stats-role@${other}`),
    );
    const longer = json<StatsReport>(
      await runCli(['stats', '--json', '--role', 'stats-role', '--version', version.slice(0, 5), ...dd]),
    );
    assert.equal(longer.filter.version, version);

    const table = await runCli(['stats', ...dd]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^all roles, all runs/);
    assert.match(table.stdout, /stats-role [0-9a-f]+\n {2}runs {9}3: succeeded 2, awaiting_approval 1/);
    assert.match(table.stdout, /tool calls {3}3: drafted 3/);
    assert.match(
      table.stdout,
      /approvals {4}3: approved 1, pending 1, rejected 1; approved 50\.0%, rejected 50\.0%/,
    );
  });

  it('a --since it cannot read exits 2 and says which formats it takes', async () => {
    const res = await runCli(['stats', '--since', 'yesterday', '--data-dir', r.dataDir]);
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      /--since 'yesterday' is not understood: give a duration back from now \(30m, 24h, 7d, 2w\) or an ISO date/,
    );
    const ok = await runCli(['stats', '--since', '2020-01-01T00:00:00Z', '--json', '--data-dir', r.dataDir]);
    assert.equal(json<StatsReport>(ok).filter.since, '2020-01-01T00:00:00.000Z');
  });

  it('refuses a day the month does not have and a duration past the first date, exit 2', async () => {
    // `2026-02-30` was read as March 2nd; `999999999999w` failed as an internal error (exit 1).
    for (const [since, said] of [
      ['2026-02-30', /--since '2026-02-30' is not understood/],
      ['2026-04-31T06:00:00Z', /--since '2026-04-31T06:00:00Z' is not understood/],
      ['999999999999w', /--since '999999999999w' reaches back further than dates go/],
    ] as const) {
      for (const command of ['stats', 'audit']) {
        const res = await runCli([command, '--since', since, '--data-dir', r.dataDir]);
        assert.equal(res.code, 2, `${command} --since ${since}: ${res.stderr}`);
        assert.match(res.stderr, said);
        assert.doesNotMatch(res.stderr, /internal error/);
      }
    }
    const leap = await runCli(['stats', '--since', '2024-02-29', '--json', '--data-dir', r.dataDir]);
    assert.equal(json<StatsReport>(leap).filter.since, '2024-02-29T00:00:00.000Z');
  });
});
