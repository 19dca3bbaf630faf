// nightshift.config.yaml: data dir, project-wide tool modules, provider base URLs; and --input-file.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { type FakeServer, startFakeAnthropic } from '../support/fake-anthropic.js';
import { fixtures } from '../support/paths.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

describe('project config', () => {
  let fake: FakeServer;
  let r: TestRole;
  before(async () => {
    fake = await startFakeAnthropic();
    r = writeTestRole({
      autonomy: 'full',
      tools: ['ledger.append'],
      ledgerTools: false,
      turns: [{ call: 'ledger.append', args: { entry: 'from-config-tool' } }, { final: { ok: true } }],
    });
  });
  after(async () => {
    await fake.close();
    r.cleanup();
  });

  it('takes the data dir and tool modules from nightshift.config.yaml, and reads --input-file', async () => {
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      `dataDir: ./state\ntoolModules: [${fixtures('tools', 'ledger.ts')}]\n`,
    );
    writeFileSync(join(r.dir, 'input.json'), '{"ticket":"T-9"}');
    const res = await runCli(['run', 'role.yaml', '--input-file', 'input.json', '--json'], { cwd: r.dir });
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(r.ledger(), ['from-config-tool']);
    assert.ok(existsSync(join(r.dir, 'state', 'nightshift.db')));
    const show = json<{ run: { input: unknown } }>(
      await runCli(['show', json<{ runId: string }>(res).runId, '--json'], { cwd: r.dir }),
    );
    assert.deepEqual(show.run.input, { ticket: 'T-9' });
  });

  it('a flag beats the config: --data-dir', async () => {
    // The flag's folder is the one looked in (it has no store: a reading command says so, and makes none).
    const res = await runCli(['runs', '--json', '--data-dir', join(r.dir, 'other')], { cwd: r.dir });
    assert.equal(res.code, 2, res.stderr);
    assert.ok(res.stderr.includes(join(r.dir, 'other', 'nightshift.db')), res.stderr);
    assert.equal(existsSync(join(r.dir, 'other')), false);
  });

  it('takes the provider base URL from the config', async () => {
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      `dataDir: ./state\ntoolModules: [${fixtures('tools', 'ledger.ts')}]\nmodels:\n  anthropic: { baseUrl: "${fake.url}" }\n`,
    );
    fake.enqueue({ text: '{"ok":true}' });
    const res = await runCli(['run', 'role.yaml', '--model', 'anthropic:claude-sonnet-4-5', '--json'], {
      cwd: r.dir,
      env: { ANTHROPIC_API_KEY: 'k', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9/never' },
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(fake.requests.length, 1);
  });

  it('an invalid config file: exit 2 with its line', async () => {
    writeFileSync(join(r.dir, 'nightshift.config.yaml'), 'dataDir: ./state\nmodels:\n  anthropik: {}\n');
    const res = await runCli(['runs'], { cwd: r.dir });
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      /nightshift\.config\.yaml:3 models\.anthropik: unknown key 'anthropik' \(did you mean 'anthropic'\?\)/,
    );
  });

  it('an API key in the config file: refused, naming the environment variable it belongs in', async () => {
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      'models:\n  anthropic:\n    apiKey: sk-x\n  openai:\n    api_key: sk-y\n',
    );
    const res = await runCli(['runs'], { cwd: r.dir });
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      /nightshift\.config\.yaml:3 models\.anthropic\.apiKey: unknown key 'apiKey': API keys are not read from nightshift\.config\.yaml; set ANTHROPIC_API_KEY in the environment/,
    );
    assert.match(res.stderr, /:5 models\.openai\.api_key: .*set OPENAI_API_KEY in the environment/);
    assert.doesNotMatch(res.stderr, /sk-x|sk-y/);
  });

  it('a person named as nightshift signs (system, policy, eval, …): exit 2 naming the file, line and person', async () => {
    for (const name of ['system', 'Policy', 'eval', 'nightshift', 'agent', 'api:ci']) {
      writeFileSync(
        join(r.dir, 'nightshift.config.yaml'),
        `people:\n  - name: alice\n    decides: ['*']\n  - name: ${name}\n    decides: ['*']\n`,
      );
      // Refused at load, by every command: such a person could log in (token create) but never decide.
      for (const args of [['runs'], ['token', 'create', '--as', name, '--scope', 'decide']]) {
        const res = await runCli([...args, '--data-dir', join(r.dir, 'never')], { cwd: r.dir });
        assert.equal(res.code, 2, `${name} ${args.join(' ')}: ${res.stderr}`);
        assert.match(
          res.stderr,
          new RegExp(
            `nightshift\\.config\\.yaml:4 people\\[1\\]\\.name: '${name}' is reserved for (nightshift itself|agents)`,
          ),
          name,
        );
        assert.equal(existsSync(join(r.dir, 'never')), false);
      }
    }
    writeFileSync(join(r.dir, 'nightshift.config.yaml'), 'people:\n  - name: alice\n');
  });

  it('--input-file that does not exist or is not JSON: exit 2', async () => {
    writeFileSync(join(r.dir, 'nightshift.config.yaml'), 'dataDir: ./state\n');
    writeFileSync(join(r.dir, 'bad.json'), '{nope');
    const missing = await runCli(['run', 'role.yaml', '--input-file', 'absent.json'], { cwd: r.dir });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--input-file absent\.json/);
    const bad = await runCli(['run', 'role.yaml', '--input-file', 'bad.json'], { cwd: r.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not valid JSON/);
    assert.ok(readFileSync(join(r.dir, 'role.yaml'), 'utf8').length > 0);
  });

  it('--input-file over 1 MiB: exit 2 naming the file and the cap, before the role runs or the store opens', async () => {
    writeFileSync(join(r.dir, 'nightshift.config.yaml'), 'dataDir: ./big-state\n');
    // Valid JSON, so only the size can refuse it.
    writeFileSync(join(r.dir, 'big.json'), JSON.stringify({ blob: 'x'.repeat(1024 * 1024) }));
    const res = await runCli(['run', 'role.yaml', '--input-file', 'big.json'], { cwd: r.dir });
    assert.equal(res.code, 2);
    assert.match(
      res.stderr,
      /--input-file big\.json is 1,048,587 bytes \(1\.0 MiB\); nightshift reads run input files of at most 1,048,576 bytes \(1 MiB\)/,
    );
    assert.equal(existsSync(join(r.dir, 'big-state')), false);
  });
});
