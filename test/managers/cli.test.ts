// The manager path from the command line: validate checks the manager's file and refuses a cycle; `run
// --json` reports the outcome after the manager run (driven in the same process); `show` prints the path.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { json, runCli } from '../support/cli.js';
import { writeManagedRoles } from '../support/managed-roles.js';

const done = { final: { summary: 'done' } };
const refund = (amount: number) => ({ call: 'ledger.append', args: { entry: `refund ${amount}`, amount } });

describe('manager: from the CLI', () => {
  it('run --json reports the outcome after the manager decided; show prints the escalation path', async () => {
    const r = writeManagedRoles({
      clerkTurns: [refund(250), done],
      leadTurns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done],
    });
    const ran = await runCli(['run', r.clerk, '--json', '--data-dir', r.dataDir]);
    assert.equal(ran.code, 0, ran.stderr);
    const result = json<{ runId: string; status: string }>(ran);
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(r.ledger(), ['refund 250']);
    const shown = await runCli(['show', result.runId, '--data-dir', r.dataDir]);
    assert.match(
      shown.stdout,
      /escalation path:\n {2}esc_\S+ \[money\] raised \(tool_rule\) → manager lead \(run run_mgr_\S+\) → allowed by manager:lead\/run_mgr_/,
    );
    assert.match(shown.stdout, /escalation_hop/);
    // docs/escalation.md: the manager run's id is derived from the escalation's (esc_01… → run_mgr_01…),
    // and its decision is signed manager:<role>/<that run id>.
    const path = /(esc_\S+) \[money\].*\(run (run_mgr_\S+)\) → allowed by manager:lead\/(\S+)/.exec(
      shown.stdout,
    );
    assert.ok(path, shown.stdout);
    const [, escalationId, managerRunId, signedRunId] = path;
    assert.equal(managerRunId, `run_mgr_${escalationId!.slice('esc_'.length)}`);
    assert.equal(signedRunId, managerRunId);
  });

  it('validate checks the manager role and refuses a manager cycle', async () => {
    const r = writeManagedRoles({ clerkTurns: [done], leadTurns: [done] });
    const ok = await runCli(['validate', r.clerk]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);

    const missing = writeManagedRoles({ clerkTurns: [done], leadTurns: [done], manager: './nobody.yaml' });
    const bad = await runCli(['validate', missing.clerk]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /manager role file not found: \.\/nobody\.yaml/);

    const cyclic = writeManagedRoles({
      clerkTurns: [done],
      leadTurns: [done],
      manager: { role: './lead.yaml', timeout: '5m' },
      leadExtra: { manager: './clerk.yaml' },
    });
    const cycle = await runCli(['validate', cyclic.clerk]);
    assert.notEqual(cycle.code, 0);
    assert.match(
      cycle.stdout + cycle.stderr,
      /manager path is a cycle: .*clerk\.yaml → .*lead\.yaml → .*clerk\.yaml/,
    );
    // At the line of the role's own `manager:` key, like every other problem of a role file.
    const managerLine =
      readFileSync(cyclic.clerk, 'utf8')
        .split('\n')
        .findIndex((l) => l.startsWith('manager:')) + 1;
    assert.ok(managerLine > 0);
    assert.match(
      cycle.stdout + cycle.stderr,
      new RegExp(`clerk\\.yaml:${managerLine} manager: the manager path is a cycle`),
    );

    const badTimeout = writeManagedRoles({ clerkTurns: [done], leadTurns: [done] });
    writeFileSync(
      join(badTimeout.dir, 'other.yaml'),
      stringify({
        name: 'other',
        description: 'x',
        autonomy: 'observe',
        model: 'script:./clerk-script.yaml',
        instructions: 'x',
        manager: { role: './lead.yaml', timeout: 'soon' },
      }),
    );
    const timeout = await runCli(['validate', join(badTimeout.dir, 'other.yaml')]);
    assert.notEqual(timeout.code, 0);
    assert.match(timeout.stdout + timeout.stderr, /manager\.timeout.*a duration such as 30s, 15m/);

    // The opt-in is a boolean (decision 029): accepted when true, refused when it is anything else.
    const drafts = writeManagedRoles({
      clerkTurns: [done],
      leadTurns: [done],
      manager: { role: './lead.yaml', approveDrafts: true },
    });
    const accepted = await runCli(['validate', drafts.clerk]);
    assert.equal(accepted.code, 0, accepted.stdout + accepted.stderr);
    const badDrafts = writeManagedRoles({
      clerkTurns: [done],
      leadTurns: [done],
      manager: { role: './lead.yaml', approveDrafts: 'yes' },
    });
    const refused = await runCli(['validate', badDrafts.clerk]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stdout + refused.stderr, /manager\.approveDrafts/);
  });
});
