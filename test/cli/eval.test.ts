// `nightshift eval` as a team's CI runs it: the real CLI over a clean copy of the examples. Exit 0 when
// the suite passes and nothing regressed, 1 when a case (a safety case above all) breaks or --max-cost
// refuses, 2 for a bad suite file.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';

const tmp = exampleProject('nightshift-eval-cli-');
after(() => tmp.cleanup());
const cwd = tmp.path;
const env = { NIGHTSHIFT_DATA_DIR: join(tmp.path, '.nightshift') };
const roles = (...p: string[]) => join(tmp.path, 'examples', 'roles', ...p);

describe('nightshift eval', () => {
  it('passes the refund-desk suite: estimate first, a line per case, exit 0', async () => {
    const r = await runCli(['eval', 'examples/roles/refund-desk.yaml'], { cwd, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const lines = r.stdout.split('\n');
    assert.equal(lines[0], 'estimated cost: 0.0000 USD');
    assert.match(r.stdout, /PASS {2}big-refund-goes-to-a-manager \[safety\]/);
    assert.match(r.stdout, /pass rate 4\/4 = 100\.0% \(95% CI 51\.0%–100\.0%\)/);
    assert.match(r.stdout, /baseline: none stored yet\nPASSED\n$/);
  });

  it('exits 1 when a new version breaks a safety case, naming the case, the reason and the regression', async () => {
    const text = readFileSync(roles('refund-desk.yaml'), 'utf8').replace('gt: 100 }', 'gt: 1000 }');
    writeFileSync(roles('refund-desk-weak.yaml'), text);
    const r = await runCli(
      [
        'eval',
        'examples/roles/refund-desk-weak.yaml',
        '--suite',
        'examples/roles/refund-desk.evals.yaml',
        '--json',
      ],
      { cwd, env },
    );
    assert.equal(r.code, 1, r.stderr);
    const out = json<{
      ok: boolean;
      safetyFailures: string[];
      regressions: string[];
      runs: { name: string; passed: boolean; reason?: string }[];
    }>(r);
    assert.equal(out.ok, false);
    assert.deepEqual(out.safetyFailures, ['big-refund-goes-to-a-manager']);
    assert.deepEqual(out.regressions, ['big-refund-goes-to-a-manager']);
    assert.match(out.runs.find((c) => !c.passed)!.reason!, /expected an escalation \(money\), got none/);
    assert.match(r.stderr, /estimated cost: 0\.0000 USD/);
  });

  it('a --split eval is kept, marked, but is neither the latest eval versions reads nor a baseline', async () => {
    // The weak version failed its safety case above (a train case); its held-out cases alone pass. That
    // pass must not stand as the version's eval (autonomy reads the same), nor as the next eval's baseline.
    const suite = ['--suite', 'examples/roles/refund-desk.evals.yaml'];
    const part = await runCli(
      ['eval', 'examples/roles/refund-desk-weak.yaml', ...suite, '--split', 'holdout', '--json'],
      { cwd, env },
    );
    assert.equal(part.code, 0, part.stderr);
    const stored = json<{ stored: { split?: string; roleVersion: string } }>(part).stored;
    assert.equal(stored.split, 'holdout');
    // Given the file, versions registers the version (eval does not) and shows its latest eval.
    const view = json<{
      versions: { version: string; eval?: { passed: boolean; safetyFailures: number } }[];
    }>(await runCli(['versions', 'examples/roles/refund-desk-weak.yaml', '--json'], { cwd, env }));
    const weak = view.versions.find((v) => v.version === stored.roleVersion)!;
    assert.deepEqual([weak.eval?.passed, weak.eval?.safetyFailures], [false, 1]);
    const again = await runCli(['eval', 'examples/roles/refund-desk.yaml'], { cwd, env });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /baseline: none stored yet/);
  });

  it("a --split eval's human output says it ran one split only, at the top and in its verdict", async () => {
    const r = await runCli(['eval', 'examples/roles/refund-desk.yaml', '--split', 'holdout'], { cwd, env });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /· suite refund-desk, holdout split only \(1 cases × 1\)\n/);
    assert.match(r.stdout, /\nPASSED \(holdout split only: a partial result, never a baseline[^\n]*\)\n$/);
  });

  it('refuses a --split with no cases in the suite (exit 2), running and storing nothing', async () => {
    writeFileSync(roles('trainonly.evals.yaml'), 'cases:\n  - name: one\n    input: { ticket: T-1 }\n');
    const suite = ['--suite', 'examples/roles/trainonly.evals.yaml'];
    const r = await runCli(['eval', 'examples/roles/refund-desk.yaml', ...suite, '--split', 'holdout'], {
      cwd,
      env,
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /USAGE.*--split holdout: suite trainonly has no holdout cases/);
    assert.doesNotMatch(r.stdout, /pass rate/);
  });

  it('takes --baseline as a version hash or a unique prefix of one, as promote does', async () => {
    const good = await runCli(['eval', 'examples/roles/refund-desk.yaml', '--json'], { cwd, env });
    assert.equal(good.code, 0, good.stderr);
    const v1 = json<{ roleVersion: string }>(good).roleVersion;
    const suite = ['--suite', 'examples/roles/refund-desk.evals.yaml'];
    const r = await runCli(
      ['eval', 'examples/roles/refund-desk-weak.yaml', ...suite, '--baseline', v1.slice(0, 8), '--json'],
      { cwd, env },
    );
    assert.equal(r.code, 1, r.stderr);
    const out = json<{ baseline: { roleVersion: string }; regressions: string[] }>(r);
    assert.equal(out.baseline.roleVersion, v1);
    assert.deepEqual(out.regressions, ['big-refund-goes-to-a-manager']);
  });

  it('repeats with --repeat and reports the interval in --json', async () => {
    const r = await runCli(
      ['eval', 'examples/roles/ops-monitor.yaml', '--repeat', '2', '--concurrency', '4', '--json'],
      {
        cwd,
        env,
      },
    );
    assert.equal(r.code, 0, r.stderr);
    const out = json<{ runs: unknown[]; passRate: number; ci: { low: number; high: number } }>(r);
    assert.equal(out.runs.length, 6);
    assert.equal(out.passRate, 1);
    assert.ok(out.ci.low > 0.5 && out.ci.low < 0.7, String(out.ci.low));
  });

  it('refuses past --max-cost with exit 1 and runs nothing', async () => {
    writeFileSync(
      roles('evals', 'dear.script.yaml'),
      'turns:\n  - final: { summary: ok }\n    usage: { costUsd: 2 }\n',
    );
    writeFileSync(
      roles('dear.evals.yaml'),
      'cases:\n  - name: dear\n    input: { ticket: T-1 }\n    model: script:./evals/dear.script.yaml\n',
    );
    const r = await runCli(
      [
        'eval',
        'examples/roles/refund-desk.yaml',
        '--suite',
        'examples/roles/dear.evals.yaml',
        '--max-cost',
        '1',
      ],
      { cwd, env },
    );
    assert.equal(r.code, 1);
    assert.equal(r.stdout.trim(), 'estimated cost: 2.0000 USD');
    assert.match(r.stderr, /BUDGET_EXCEEDED.*estimated at 2\.0000 USD, over --max-cost 1; nothing was run/);
  });

  it('exits 2 for a bad suite file, naming the file, line and field', async () => {
    writeFileSync(roles('bad.evals.yaml'), 'cases:\n  - name: one\n    expect: { status: finished }\n');
    const r = await runCli(
      ['eval', 'examples/roles/refund-desk.yaml', '--suite', 'examples/roles/bad.evals.yaml'],
      { cwd, env },
    );
    assert.equal(r.code, 2);
    assert.match(r.stderr, /examples\/roles\/bad\.evals\.yaml:3 cases\[0\]\.expect\.status: /);
    const bare = await runCli(['eval', 'examples/roles/refund-desk.yaml', '--repeat', '0'], { cwd, env });
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /--repeat must be a whole number from 1 to 10000 \(digits only\), got '0'/);
  });
});
