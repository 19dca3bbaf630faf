// What a new user meets at the terminal, through the real CLI: --version, --data-dir on every command,
// validate over a folder where model scripts sit next to roles, cancel's exit code, a run's status that
// says how many calls were denied, show with tool results, runs with a header, and next-step hints that
// name the command the way the user ran it (`npx nightshift` under npx).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, runCli, startServe } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const done = { final: { summary: 'done' } };
/** As run from a shell, not through npm (whatever started the test runner). */
const plainShell = { npm_command: '', npm_lifecycle_event: '' };

describe('CLI usability', () => {
  it('--version (and -v) prints the version in package.json and exits 0', async () => {
    const { version } = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    for (const flag of ['--version', '-v']) {
      const res = await runCli([flag]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stdout.trim(), version);
    }
  });

  it('emit with a --url or NIGHTSHIFT_URL that is not a URL: exit 2 naming which, not "no daemon answers"', async () => {
    const flag = await runCli(['emit', 'some.event', '{}', '--url', 'notaurl']);
    assert.equal(flag.code, 2, flag.stderr);
    assert.match(flag.stderr, /--url 'notaurl' is not an http\(s\) URL/);
    const env = await runCli(['emit', 'some.event'], { env: { NIGHTSHIFT_URL: 'ftp://x' } });
    assert.equal(env.code, 2, env.stderr);
    assert.match(env.stderr, /NIGHTSHIFT_URL 'ftp:\/\/x' is not an http\(s\) URL/);
  });

  it('validate and emit accept --data-dir, as every command does', async () => {
    const r = role({ autonomy: 'full', turns: [done], extra: { triggers: [{ event: 'usability.go' }] } });
    const v = await runCli(['validate', r.file, '--data-dir', r.dataDir]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /ok \(version [0-9a-f]{16}\)/);
    const served = await startServe([r.dir, '--port', '0', '--poll-ms', '20', '--data-dir', r.dataDir]);
    try {
      const e = await runCli([
        'emit',
        'usability.go',
        '{}',
        '--url',
        served.url,
        '--data-dir',
        r.dataDir,
        '--token',
        served.token,
        '--json',
      ]);
      assert.equal(e.code, 0, e.stderr);
      assert.equal(json<{ runs: unknown[] }>(e).runs.length, 1);
    } finally {
      served.child.kill('SIGKILL');
    }
  });

  it('validate examples/roles/*.yaml: roles pass, scripts and suites are said to be what they are, not broken roles', async () => {
    const tmp = exampleProject('nightshift-validate-');
    try {
      // Every YAML file there, as the shell's glob gives them: the eval suites too, which were reported as
      // broken roles (exit 2) while this test listed only roles and scripts.
      const files = readdirSync(join(tmp.path, 'examples', 'roles'))
        .filter((f) => f.endsWith('.yaml'))
        .sort()
        .map((f) => join('examples', 'roles', f));
      const kindOf = (f: string) =>
        f.endsWith('.script.yaml') ? 'model-script' : f.endsWith('.evals.yaml') ? 'eval-suite' : 'role';
      assert.ok(files.some((f) => kindOf(f) === 'eval-suite'));
      const res = await runCli(['validate', ...files], { cwd: tmp.path });
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.stderr, '');
      assert.match(
        res.stdout,
        /refund-desk\.script\.yaml: skipped: a model script \(3 turns, valid\), not a role/,
      );
      assert.match(res.stdout, /refund-desk\.yaml: ok \(version/);
      assert.match(
        res.stdout,
        /refund-desk\.evals\.yaml: skipped: an eval suite \(\d+ cases, valid\), not a role/,
      );
      const j = json<{ file: string; ok: boolean; kind: string }[]>(
        await runCli(['validate', ...files, '--json'], { cwd: tmp.path }),
      );
      assert.deepEqual(
        j.map((x) => [x.kind, x.ok]),
        files.map((f) => [kindOf(f), true]),
      );
      // The project config given with the roles (`validate examples/support-desk/*.yaml`) is checked as
      // the config; a broken suite or config is reported as what it is, at its line.
      const desk = await runCli(['validate', join('examples', 'support-desk', 'nightshift.config.yaml')], {
        cwd: tmp.path,
      });
      assert.equal(desk.code, 0, desk.stderr);
      assert.match(desk.stdout, /skipped: the project config \(valid\), not a role/);
      writeFileSync(
        join(tmp.path, 'bad.evals.yaml'),
        'cases:\n  - name: a\n    input: {}\n    expect: { statuss: x }\n',
      );
      const badSuite = await runCli(['validate', 'bad.evals.yaml', '--json'], { cwd: tmp.path });
      assert.equal(badSuite.code, 2);
      assert.deepEqual(
        json<{ kind: string; issues: { line: number; path: string }[] }[]>(badSuite).map((r) => [
          r.kind,
          r.issues.map((i) => [i.line, i.path]),
        ]),
        [['eval-suite', [[4, 'cases[0].expect.statuss']]]],
      );
      // A broken script is still reported, as a script, with its line.
      writeFileSync(join(tmp.path, 'bad.script.yaml'), 'turns:\n  - call: fs.read\n    final: {}\n');
      const bad = await runCli(['validate', 'bad.script.yaml'], { cwd: tmp.path });
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /bad\.script\.yaml:2 .*exactly one of call, calls, escalate, final or text/);
    } finally {
      tmp.cleanup();
    }
  });

  it('cancel exits 0 when it cancelled the run, and 1 when the run had already ended', async () => {
    const r = role({
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, done],
    });
    const paused = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(paused.code, 3, paused.stderr);
    const { runId } = json<{ runId: string }>(paused);
    const cancelled = await runCli(['cancel', runId, '--reason', 'not needed', '--data-dir', r.dataDir]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /status: cancelled/);
    const again = await runCli(['cancel', runId, '--data-dir', r.dataDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /RUN_NOT_RESUMABLE/);
  });

  it('run says how many calls were denied next to succeeded', async () => {
    const r = role({
      autonomy: 'observe',
      tools: ['fs.read', 'fs.write'],
      ledgerTools: false,
      turns: [
        {
          calls: [
            { tool: 'fs.write', args: { path: 'a.txt', content: 'x' } },
            { tool: 'fs.write', args: { path: 'b.txt', content: 'y' } },
          ],
        },
        done,
      ],
    });
    const res = await runCli(['run', r.file, '--data-dir', r.dataDir]);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /status: succeeded \(2 calls denied\)/);
    const clean = role({ autonomy: 'full', turns: [done] });
    const ok = await runCli(['run', clean.file, '--data-dir', clean.dataDir]);
    assert.match(ok.stdout, /status: succeeded {3}model steps/);
  });

  it('show prints each tool result (truncated), and runs has a header', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['fs.read'],
      ledgerTools: false,
      turns: [
        { call: 'fs.read', args: { path: 'note.txt' } },
        { call: 'fs.read', args: { path: 'big.txt' } },
        done,
      ],
    });
    writeFileSync(join(r.workspace, 'note.txt'), 'the-result-the-model-read');
    writeFileSync(join(r.workspace, 'big.txt'), 'z'.repeat(5000));
    const run = json<{ runId: string }>(await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]));
    const show = await runCli(['show', run.runId, '--data-dir', r.dataDir]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /tool_finished +fs\.read succeeded → .*the-result-the-model-read/);
    const big = show.stdout.split('\n').find((l) => l.includes('tool_finished') && l.includes('zzz'))!;
    assert.ok(big.length < 500, `a long result is cut: ${big.length} characters`);
    assert.match(big, /…$/);
    const runs = await runCli(['runs', '--data-dir', r.dataDir]);
    const [header, row] = runs.stdout.split('\n');
    assert.match(header!, /^RUN +ROLE@VERSION +STATUS +STEPS +COST +CREATED +NOTE$/);
    assert.match(
      row!,
      new RegExp(`^${run.runId} +test-role@[0-9a-f]{16} +succeeded +3 +\\$0\\.0000 +\\d{4}-`),
    );
    // Columns line up under the header.
    assert.equal(row!.indexOf('succeeded'), header!.indexOf('STATUS'));
  });

  it('runs --limit: a number past what the store takes, or not written in digits, is bad usage (exit 2)', async () => {
    const r = role({ autonomy: 'full', tools: [], ledgerTools: false, turns: [done] });
    const ran = await runCli(['run', r.file, '--data-dir', r.dataDir]);
    assert.equal(ran.code, 0, ran.stderr);
    // 99999999999999999999 reached SQLite as a float: STORE_ERROR "datatype mismatch", exit 1.
    for (const limit of ['99999999999999999999', '1e2', '0x10', '1000001']) {
      const res = await runCli(['runs', '--limit', limit, '--data-dir', r.dataDir]);
      assert.equal(res.code, 2, `${limit}: ${res.stderr}`);
      assert.match(res.stderr, /\[USAGE\]: --limit must be a whole number from 1 to 1000000 \(digits only\)/);
    }
    const ok = await runCli(['runs', '--limit', '1000000', '--json', '--data-dir', r.dataDir]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json<unknown[]>(ok).length, 1);
  });

  it('hints name `npx nightshift` when the user ran npx, and `nightshift` otherwise', async () => {
    const r = role({
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, done],
    });
    // The real npx, in the nightshift checkout (as the README quickstart runs it). Its first call on a
    // machine installs the checkout into npx's cache, which runs the package's `prepare` (tsc) in the
    // checkout itself: that rewrote dist/ while the other test files were loading it, and a module caught
    // half-written lacked its exports (the "does not provide an export named" failures seen in CI).
    // Scripts are skipped here: the suite runs on a fresh build, which must stay as it is.
    const built = join(repoRoot, 'dist', 'src', 'index.js');
    const builtAt = statSync(built).mtimeMs;
    const viaNpx = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn('npx', ['nightshift', 'run', r.file, '--data-dir', r.dataDir], {
        cwd: repoRoot,
        env: { ...process.env, ...plainShell, NIGHTSHIFT_ACTOR: 'tester', npm_config_ignore_scripts: 'true' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(viaNpx.code, 3, viaNpx.stderr);
    assert.equal(statSync(built).mtimeMs, builtAt, 'npx rebuilt dist/ under the running suite');
    assert.match(viaNpx.stdout, /→ {2}npx nightshift approve apr_\S+ {3}\(or: npx nightshift reject apr_/);
    const inbox = await runCli(['inbox', '--data-dir', r.dataDir], {
      env: { npm_command: 'exec', npm_lifecycle_event: 'npx' },
    });
    assert.match(inbox.stdout, /→ npx nightshift approve apr_/);
    // From a shell: the plain command.
    const plain = await runCli(['inbox', '--data-dir', r.dataDir], { env: plainShell });
    assert.match(plain.stdout, /→ nightshift approve apr_/);
    assert.doesNotMatch(plain.stdout, /npx/);
  });
});
