// The codex executor end to end: the real Codex CLI (installed by scripts/test-executors.sh) against the
// local fake Responses API, at every rung of the ladder. What a session did is checked from outside: the
// files in the workspace and next to it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NightshiftError } from '../src/errors.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import type { FakeAnswer, FakeRequest, FakeServer } from '../test/support/fake-openai-responses.js';
import { startFakeOpenAIResponses } from '../test/support/fake-openai-responses.js';
import { type ExecutorRole, writeExecutorRole } from './support.js';

const MODEL = 'codex:gpt-5';

/**
 * The scripted model: reads notes.txt, then runs one command that writes out.txt in the workspace and
 * outside.txt next to it, then answers. Chosen by how many tool results the conversation holds.
 */
function script(fake: FakeServer, role: () => ExecutorRole) {
  return (request: FakeRequest): FakeAnswer => {
    const turn = fake.read(request);
    const results = turn.toolResults.length;
    if (results === 0)
      return {
        calls: [{ name: 'exec_command', input: { cmd: 'cat notes.txt' } }],
        usage: { input: 300, output: 20 },
      };
    if (results === 1)
      return {
        calls: [
          {
            name: 'exec_command',
            input: {
              cmd: `printf 'from codex' > out.txt; printf escaped > ${join(role().outside, 'outside.txt')}`,
            },
          },
        ],
        usage: { input: 400, output: 30 },
      };
    return { text: '{"summary":"done"}', usage: { input: 500, output: 12, cacheRead: 100 } };
  };
}

describe('codex executor (real Codex CLI, fake Responses API)', () => {
  let fake: FakeServer;
  const runtimes: Runtime[] = [];
  const roles: ExecutorRole[] = [];
  let answer: (request: FakeRequest) => FakeAnswer = () => ({ text: 'ok' });

  before(async () => {
    fake = await startFakeOpenAIResponses({ validate: false });
    fake.enqueue(...Array.from({ length: 500 }, () => (request: FakeRequest) => answer(request)));
  });
  after(async () => {
    for (const rt of runtimes) await rt.close();
    for (const r of roles) r.cleanup();
    await fake.close();
  });

  async function runtimeFor(r: ExecutorRole, env: Record<string, string> = {}): Promise<Runtime> {
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ...process.env, OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.url, ...env },
    });
    runtimes.push(rt);
    return rt;
  }

  function newRole(
    autonomy: 'observe' | 'draft' | 'sandbox' | 'full',
    extra?: Record<string, unknown>,
  ): ExecutorRole {
    const role = writeExecutorRole({ model: MODEL, autonomy, extra });
    roles.push(role);
    answer = script(fake, () => role);
    return role;
  }

  it('observe: read-only sandbox; nothing is written', async () => {
    const r = newRole('observe');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, { ticket: 'T-1' });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.output, { summary: 'done' });
    assert.equal(r.has('out.txt'), false);
    assert.equal(r.has('../outside/outside.txt'), false);
    const snapshot = (await rt.get(result.runId))!;
    const commands = snapshot.steps.filter(
      (s) => s.kind === 'executor_event' && s.data.tool === 'command_execution',
    );
    // The read ran; the write never reached the disk (Codex refuses it in a read-only sandbox).
    assert.ok(commands.length >= 1);
    assert.match(String(commands[0]!.data.text), /the notes say/);
  });

  it('records usage and the cost from the price table', async () => {
    const r = newRole('observe');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.usage.inputTokens, 1200);
    assert.equal(result.usage.outputTokens, 62);
    assert.equal(result.usage.cachedInputTokens, 100);
    // openai:gpt-5: 1.25 in, 0.125 cached in, 10 out per million tokens.
    const expected = (1100 * 1.25 + 100 * 0.125 + 62 * 10) / 1e6;
    assert.ok(Math.abs(result.usage.costUsd - expected) < 1e-12, `${result.usage.costUsd} vs ${expected}`);
  });

  it('draft: works on a copy; the diff is a change set applied only on approval, exactly once', async () => {
    const r = newRole('draft');
    const rt = await runtimeFor(r);
    const paused = await rt.run(r.file, { ticket: 'T-2' });
    assert.equal(paused.status, 'awaiting_approval', JSON.stringify(paused.error));
    assert.equal(r.has('out.txt'), false);
    assert.equal(r.has('../outside/outside.txt'), false);
    const approval = (await rt.inbox()).approvals.find((a) => a.runId === paused.runId)!;
    assert.deepEqual(
      approval.calls.map((c) => [c.tool, c.args]),
      [['fs.write', { path: 'out.txt', content: 'from codex' }]],
    );
    const done = await rt.approve(paused.pending[0]!, { by: 'alice' });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(r.read('out.txt'), 'from codex');
    assert.equal(r.has('../outside/outside.txt'), false);
    await assert.rejects(rt.approve(paused.pending[0]!, { by: 'bob' }), { code: 'APPROVAL_NOT_PENDING' });
    assert.equal((await rt.resume(paused.runId)).status, 'succeeded');
    const snapshot = (await rt.get(paused.runId))!;
    assert.equal(
      snapshot.steps.filter((s) => s.kind === 'tool_started' && s.data.tool === 'fs.write').length,
      1,
    );
  });

  it('sandbox: workspace-write; the write inside happens, the one outside does not', async () => {
    const r = newRole('sandbox');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(r.read('out.txt'), 'from codex');
    assert.equal(r.has('../outside/outside.txt'), false);
  });

  it('full: workspace-write unless the role asks for danger-full-access', async () => {
    const r = newRole('full');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(r.read('out.txt'), 'from codex');
    assert.equal(r.has('../outside/outside.txt'), false);

    const open = newRole('full', { executor: { codexSandbox: 'danger-full-access' } });
    const rt2 = await runtimeFor(open);
    const result2 = await rt2.run(open.file, {});
    assert.equal(result2.status, 'succeeded', JSON.stringify(result2.error));
    assert.equal(open.read('../outside/outside.txt'), 'escaped');
  });

  it('a role without write tools gets a read-only sandbox at any rung', async () => {
    const r = writeExecutorRole({ model: MODEL, autonomy: 'full', tools: ['fs.read'] });
    roles.push(r);
    answer = script(fake, () => r);
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(r.has('out.txt'), false);
  });

  it('a failed session fails the run', async () => {
    const r = newRole('full');
    answer = () => ({ status: 400, message: 'scripted refusal' });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'EXECUTOR_FAILED');
    assert.equal(r.has('out.txt'), false);
  });

  it('a missing CLI fails at start, before a run is recorded, and says what to install', async () => {
    const r = newRole('full');
    const rt = await runtimeFor(r, { NIGHTSHIFT_CODEX_PATH: join(r.outside, 'codex') });
    await assert.rejects(rt.run(r.file, {}), (err: unknown) => {
      assert.ok(err instanceof NightshiftError);
      assert.equal(err.code, 'EXECUTOR_UNAVAILABLE');
      assert.match(err.message, /NIGHTSHIFT_CODEX_PATH/);
      return true;
    });
    assert.deepEqual(await rt.list(), []);
  });
});
