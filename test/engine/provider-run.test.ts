// A role that runs on a real provider adapter (against the local fake Anthropic server): the ladder holds
// the same way, and usage and cost reach the run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

describe('a draft role on anthropic (fake server)', () => {
  let fake: FakeServer;
  let r: TestRole;
  before(async () => {
    fake = await startFakeAnthropic();
    r = writeTestRole({
      autonomy: 'draft',
      turns: [{ final: {} }],
      output: { type: 'object', required: ['summary'] },
    });
    writeFileSync(
      r.file,
      readFileSync(r.file, 'utf8').replace(/model: .*/, 'model: anthropic:claude-sonnet-4-5'),
    );
  });
  after(async () => {
    await fake.close();
    r.cleanup();
  });

  it('drafts the write, runs it on approval, sends the result back, and records the cost', async () => {
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url },
    });
    try {
      fake.enqueue(
        {
          text: 'Writing the note.',
          calls: [{ name: 'fs_write', input: { path: 'note.txt', content: 'from claude' } }],
          usage: { input: 500, output: 40 },
        },
        { text: '{"summary":"wrote the note"}', usage: { input: 700, output: 20 } },
      );
      const paused = await rt.run(r.file, { ask: 'write a note' });
      assert.equal(paused.status, 'awaiting_approval');
      assert.equal(existsSync(join(r.workspace, 'note.txt')), false);
      assert.equal(fake.requests.length, 1);
      const done = await rt.approve(paused.pending[0]!, { by: 'alice' });
      assert.equal(done.status, 'succeeded');
      assert.deepEqual(done.output, { summary: 'wrote the note' });
      assert.equal(readFileSync(join(r.workspace, 'note.txt'), 'utf8'), 'from claude');
      assert.equal(done.usage.inputTokens, 1200);
      assert.equal(done.usage.outputTokens, 60);
      assert.ok(Math.abs(done.usage.costUsd - (1200 * 3 + 60 * 15) / 1e6) < 1e-12);
      assert.ok(fake.read(fake.requests[0]!).toolNames.includes('fs_write'));
      // The second request carries the call back and its result, paired by the id the fake gave the call.
      const second = fake.read(fake.requests[1]!);
      assert.deepEqual(second.toolCalls, [
        { id: 'toolu_1_0', name: 'fs_write', input: { path: 'note.txt', content: 'from claude' } },
      ]);
      assert.equal(second.toolResults.length, 1);
      assert.equal(second.toolResults[0]!.callId, 'toolu_1_0');
      assert.equal(second.toolResults[0]!.isError, false);
      assert.deepEqual(JSON.parse(second.toolResults[0]!.content), {
        path: 'note.txt',
        bytes: 11,
        mode: 'overwrite',
      });
      assert.equal(done.model, 'anthropic:claude-sonnet-4-5');
    } finally {
      await rt.close();
    }
  });
});
