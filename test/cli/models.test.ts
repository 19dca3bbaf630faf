// Bad model settings through the real CLI: the message names the problem, the exit code is 2, and nothing is
// written; an unknown price is a warning, not an error.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import type { FakeServer } from '../support/fake-llm.js';
import { startFakeOpenAIResponses } from '../support/fake-openai-responses.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});
function role(model?: string): TestRole {
  const r = writeTestRole({ autonomy: 'full', turns: [{ final: { summary: 'done' } }] });
  if (model) writeFileSync(r.file, readFileSync(r.file, 'utf8').replace(/model: .*/, `model: ${model}`));
  made.push(r);
  return r;
}
const noKeys = { ANTHROPIC_API_KEY: '', OPENAI_API_KEY: '', OPENAI_BASE_URL: '', ANTHROPIC_BASE_URL: '' };

describe('CLI model settings', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeOpenAIResponses();
  });
  after(() => fake.close());

  it('run: a spec that cannot work fails before the store is opened, naming the problem', async () => {
    for (const [spec, message, code = 'MODEL_CONFIG'] of [
      ['mystery:model-1', /names an unknown provider 'mystery'/],
      ['gpt-4o', /has no provider/],
      ['openai-compatible:llama3', /needs the form openai-compatible:<model-id>@<http\(s\) base URL>/],
      [
        'codex:gpt-5',
        /the codex executor needs the Codex CLI, which is not installed/,
        'EXECUTOR_UNAVAILABLE',
      ],
      ['openai:gpt-5', /needs OPENAI_API_KEY/],
    ] as const) {
      const r = role();
      const res = await runCli(['run', r.file, '--model', spec, '--data-dir', r.dataDir], { env: noKeys });
      assert.equal(res.code, 2, `${spec}: ${res.stderr}`);
      assert.match(res.stderr, new RegExp(`error \\[${code}\\]`), spec);
      assert.match(res.stderr, message, spec);
      assert.equal(existsSync(r.dataDir), false, `${spec}: nothing is written`);
    }
  });

  it('run: warns that the cost of a model with no known price is unknown, and runs', async () => {
    const r = role();
    fake.enqueue({ text: '{"summary":"done"}', usage: { input: 1000, output: 100 } });
    const res = await runCli(
      ['run', r.file, '--model', 'openai:gpt-future-1', '--json', '--data-dir', r.dataDir],
      {
        env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.url },
      },
    );
    assert.equal(res.code, 0, res.stderr);
    assert.match(
      res.stderr,
      /warning: no price is known for model openai:gpt-future-1: its cost is recorded as \$0/,
    );
    assert.equal(json<{ usage: { costUsd: number } }>(res).usage.costUsd, 0);
    // A priced model runs without the warning.
    const priced = await runCli(['run', r.file, '--model', 'openai:gpt-4.1-mini', '--data-dir', r.dataDir], {
      env: { OPENAI_API_KEY: 'k', OPENAI_BASE_URL: fake.url },
    });
    assert.equal(priced.code, 0, priced.stderr);
    assert.doesNotMatch(priced.stderr, /warning/);
  });

  it('validate: an unknown provider or a malformed spec fails, naming the file and the model key', async () => {
    for (const [spec, message] of [
      ['mystery:model-1', /model: expected <provider>:<model>, with provider one of/],
      ['openai-compatible:llama3', /model: model 'openai-compatible:llama3' needs the form/],
    ] as const) {
      const r = role(spec);
      const res = await runCli(['validate', r.file], { env: noKeys });
      assert.equal(res.code, 2, `${spec}: ${res.stderr}`);
      assert.ok(res.stderr.includes(r.file), res.stderr);
      assert.match(res.stderr, message, spec);
    }
  });

  it('validate: a missing key or an unknown price is a warning, not a failure', async () => {
    const keyless = role('anthropic:claude-sonnet-4-5');
    const res = await runCli(['validate', keyless.file], { env: noKeys });
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /: ok \(version /);
    assert.match(res.stderr, /warning: model anthropic:claude-sonnet-4-5 needs ANTHROPIC_API_KEY/);
    const unpriced = role('anthropic:claude-future-9');
    const res2 = await runCli(['validate', unpriced.file, '--json'], { env: { ANTHROPIC_API_KEY: 'k' } });
    assert.equal(res2.code, 0, res2.stderr);
    // Under --json the warning is in the JSON only (docs/cli.md, validate).
    assert.equal(res2.stderr, '');
    const [result] = json<{ ok: boolean; warnings: string[] }[]>(res2);
    assert.equal(result?.ok, true);
    assert.equal(result?.warnings.length, 1);
    assert.match(result!.warnings[0]!, /warning: no price is known for model anthropic:claude-future-9/);
  });
});
