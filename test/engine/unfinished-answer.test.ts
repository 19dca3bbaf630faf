// A final answer the output token limit cut off, or a refusal, is not the run's output. With no output schema
// any text would pass the check, so before this both "succeeded" with half a sentence or "I can't help with
// that" as the output; now the run fails with a code that says which, and a job's retries leave it alone.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

describe('a final answer that is not finished', () => {
  let fake: FakeServer;
  let r: TestRole;
  before(async () => {
    fake = await startFakeAnthropic();
    // No output schema: the case where a cut-off answer used to pass.
    r = writeTestRole({ autonomy: 'full', turns: [{ final: {} }], tools: ['fs.write'] });
    writeFileSync(
      r.file,
      readFileSync(r.file, 'utf8').replace(/model: .*/, 'model: anthropic:claude-sonnet-4-5'),
    );
  });
  after(async () => {
    await fake.close();
    r.cleanup();
  });

  async function runWith(reply: Parameters<FakeServer['enqueue']>[0]) {
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url },
    });
    try {
      fake.enqueue(reply);
      const run = await rt.run(r.file, { ask: 'summarise' });
      return { run, steps: (await rt.get(run.runId))!.steps };
    } finally {
      await rt.close();
    }
  }

  it('fails a final answer cut off at the output token limit with OUTPUT_TRUNCATED', async () => {
    const { run, steps } = await runWith({ text: 'The three causes were first', maxTokens: true });
    assert.equal(run.status, 'failed');
    assert.equal(run.output, null);
    assert.equal(run.error?.code, 'OUTPUT_TRUNCATED');
    assert.match(run.error!.message, /cut off at its output token limit \(limits\.maxOutputTokens: 16384\)/);
    assert.equal(run.error?.details?.text, 'The three causes were first');
    // The turn is still recorded, with why it stopped.
    const turn = steps.find((s) => s.kind === 'model_turn');
    assert.ok(turn, 'the turn is recorded');
    assert.equal((turn!.data as { stopReason?: string }).stopReason, 'max_tokens');
  });

  it('fails a refusal with MODEL_REFUSED, the refusal in the message', async () => {
    const { run } = await runWith({ text: 'I cannot help with that request.', refusal: true });
    assert.equal(run.status, 'failed');
    assert.equal(run.output, null);
    assert.equal(run.error?.code, 'MODEL_REFUSED');
    assert.match(run.error!.message, /content filter stopped its answer: I cannot help with that request\./);
  });

  it('runs none of the calls of a turn that ends in a refusal', async () => {
    const { run, steps } = await runWith({
      text: 'I will not.',
      calls: [{ name: 'fs_write', input: { path: 'refused.txt', content: 'x' } }],
      refusal: true,
    });
    assert.equal(run.status, 'failed');
    assert.equal(run.error?.code, 'MODEL_REFUSED');
    assert.equal(existsSync(join(r.workspace, 'refused.txt')), false, 'the refused turn wrote nothing');
    assert.equal(steps.filter((s) => s.kind === 'decision').length, 0, 'no call was judged');
  });

  it('cuts a long refusal by code point, never half a surrogate pair', async () => {
    const { run } = await runWith({ text: '😀'.repeat(400), refusal: true });
    assert.equal(run.error?.code, 'MODEL_REFUSED');
    assert.ok(run.error!.message.endsWith(`${'😀'.repeat(300)}…`));
    assert.doesNotMatch(run.error!.message, /[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
  });

  it('still takes a normal end as the output', async () => {
    const { run } = await runWith({ text: 'All three causes are fixed.' });
    assert.equal(run.status, 'succeeded');
    assert.equal(run.output, 'All three causes are fixed.');
  });
});
