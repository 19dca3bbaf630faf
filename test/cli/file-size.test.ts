// The files a person writes for nightshift (role files, model scripts, eval suites, the project config, a
// role's secrets file) are refused over 1 MiB, by size, before they are read: `validate`, `run`, `serve`
// and `mcp` exit 2 naming the file, its size and the cap, and create no store.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const role = testRoles();
const done = { final: { summary: 'done' } };
const CAP = 1024 * 1024;

/** Pads a YAML file with a comment to exactly `size` bytes (valid YAML all the same). */
function padTo(file: string, size: number): void {
  const have = statSync(file).size;
  appendFileSync(file, `\n#${'x'.repeat(size - have - 3)}\n`);
  assert.equal(statSync(file).size, size);
}

const capMessage = (file: string, size: number) =>
  new RegExp(
    `${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is ${size.toLocaleString('en-US')} bytes \\([\\d.]+ MiB\\); nightshift reads role files, model scripts, eval suites, nightshift\\.config\\.yaml and secrets files of at most 1,048,576 bytes \\(1 MiB\\)`,
  );

describe('files over the size cap (1 MiB)', () => {
  it('a role file over 1 MiB: validate, run, serve and mcp refuse it with its size, and open no store', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const size = 3 * CAP;
    padTo(r.file, size);
    const v = await runCli(['validate', r.file]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(v.stderr, capMessage(r.file, size));
    for (const command of ['run', 'serve', 'mcp']) {
      const res = await runCli([
        command,
        r.file,
        '--data-dir',
        r.dataDir,
        ...(command === 'serve' ? ['--port', '0'] : []),
      ]);
      assert.equal(res.code, 2, `${command}: ${res.stderr}`);
      assert.match(res.stderr, /\[ROLE_INVALID\]/, command);
      assert.match(res.stderr, capMessage(r.file, size), command);
      assert.equal(existsSync(r.dataDir), false, `${command} opened no store`);
    }
  });

  it('a role file of exactly 1 MiB is read', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    padTo(r.file, CAP);
    const v = await runCli(['validate', r.file]);
    assert.equal(v.code, 0, v.stderr);
  });

  it("a role's model script over 1 MiB is refused at the role, naming the script", async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const script = join(r.dir, 'script.yaml');
    padTo(script, CAP + 1);
    const v = await runCli(['validate', r.file]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(v.stderr, capMessage(script, CAP + 1));
    const res = await runCli(['run', r.file, '--data-dir', r.dataDir]);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, capMessage(script, CAP + 1));
  });

  it('an eval suite over 1 MiB is refused by validate and eval', async () => {
    const r = role({ autonomy: 'full', turns: [done] });
    const suite = join(r.dir, 'role.evals.yaml');
    writeFileSync(suite, `cases:\n  - name: one\n    input: {}\n    expect:\n      status: succeeded\n`);
    const ok = await runCli(['validate', suite]);
    assert.equal(ok.code, 0, ok.stderr);
    padTo(suite, 2 * CAP);
    const v = await runCli(['validate', suite]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(v.stderr, capMessage(suite, 2 * CAP));
    const e = await runCli(['eval', r.file, '--suite', suite, '--data-dir', r.dataDir]);
    assert.equal(e.code, 2, e.stderr);
    assert.match(e.stderr, /\[CONFIG_INVALID\]/);
    assert.match(e.stderr, capMessage(suite, 2 * CAP));
  });

  it('nightshift.config.yaml over 1 MiB is refused by run, naming it', async () => {
    const project = tempDir('nightshift-cap-project-');
    try {
      const r = role({ autonomy: 'full', turns: [done] });
      const config = join(project.path, 'nightshift.config.yaml');
      writeFileSync(config, 'dataDir: ./data\n');
      padTo(config, CAP + 100);
      const res = await runCli(['run', r.file], { cwd: project.path });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, /\[CONFIG_INVALID\]/);
      assert.match(res.stderr, capMessage('nightshift.config.yaml', CAP + 100));
      assert.equal(existsSync(join(project.path, 'data')), false);
    } finally {
      project.cleanup();
    }
  });

  it("a role's secrets file over 1 MiB is refused, naming it", async () => {
    const r = role({
      autonomy: 'full',
      turns: [done],
      extra: { secrets: ['API_KEY'], secretsFile: './secrets.env' },
    });
    const secrets = join(r.dir, 'secrets.env');
    writeFileSync(secrets, 'API_KEY=abcdefghijkl\n');
    padTo(secrets, CAP + 1);
    const res = await runCli(['run', r.file, '--data-dir', r.dataDir]);
    assert.notEqual(res.code, 0, res.stderr);
    assert.match(res.stderr + res.stdout, /\[CONFIG_INVALID\]/);
    assert.match(
      res.stderr + res.stdout,
      new RegExp(
        `its secrets file .*secrets\\.env is ${(CAP + 1).toLocaleString('en-US')} bytes .* at most 1,048,576 bytes`,
      ),
    );
    assert.equal(readFileSync(secrets, 'utf8').startsWith('API_KEY='), true);
  });
});
