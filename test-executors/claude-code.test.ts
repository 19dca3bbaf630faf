// The claude-code executor end to end: the real Claude Code (through the Agent SDK, installed by
// scripts/test-executors.sh) against the local fake Anthropic server, at every rung of the ladder. What a
// session did is checked from outside: the files in the workspace and next to it.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NightshiftError } from '../src/errors.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import type { FakeAnswer, FakeRequest } from '../test/support/fake-anthropic.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import type { FakeServer } from '../test/support/fake-llm.js';
import { type ExecutorRole, writeExecutorRole } from './support.js';

const MODEL = 'claude-code:claude-sonnet-4-5';

/**
 * The scripted model: reads notes.txt, then writes out.txt inside the workspace and outside.txt next to it
 * (in one turn), then answers. Chosen by how many tool results the conversation holds, so extra requests
 * the CLI makes on the side get plain text.
 */
function script(fake: FakeServer, role: () => ExecutorRole) {
  return (request: FakeRequest): FakeAnswer => {
    const turn = fake.read(request);
    if (!turn.toolNames.includes('Read')) return { text: 'ok' };
    const results = turn.toolResults.length;
    if (results === 0)
      return { calls: [{ name: 'Read', input: { file_path: join(role().workspace, 'notes.txt') } }] };
    if (results === 1)
      return {
        text: 'Writing both files.',
        calls: [
          { name: 'Write', input: { file_path: join(role().workspace, 'out.txt'), content: 'from claude' } },
          { name: 'Write', input: { file_path: join(role().outside, 'outside.txt'), content: 'escaped' } },
        ],
        usage: { input: 400, output: 30 },
      };
    return { text: '{"summary":"done"}', usage: { input: 500, output: 12 } };
  };
}

describe('claude-code executor (real Claude Code, fake Anthropic API)', () => {
  let fake: FakeServer;
  let role: ExecutorRole;
  const runtimes: Runtime[] = [];
  const roles: ExecutorRole[] = [];

  // Every request is answered by whatever `answer` is when it arrives; each test sets it.
  let answer: (request: FakeRequest) => FakeAnswer = () => ({ text: 'ok' });
  before(async () => {
    fake = await startFakeAnthropic({ validate: false });
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
      env: { ...process.env, ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url, ...env },
    });
    runtimes.push(rt);
    return rt;
  }

  function newRole(autonomy: 'observe' | 'draft' | 'sandbox' | 'full'): ExecutorRole {
    role = writeExecutorRole({ model: MODEL, autonomy });
    roles.push(role);
    answer = script(fake, () => role);
    return role;
  }

  async function decisions(rt: Runtime, runId: string) {
    const snapshot = (await rt.get(runId))!;
    return snapshot.steps
      .filter((s) => s.kind === 'decision')
      .map((s) => `${s.data.executorTool} ${s.data.tool} ${s.data.decision}`);
  }

  it('observe: reads run, both writes are denied, nothing is written', async () => {
    const r = newRole('observe');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, { ticket: 'T-1' });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.output, { summary: 'done' });
    assert.equal(r.has('out.txt'), false);
    assert.equal(r.has('../outside/outside.txt'), false);
    const d = await decisions(rt, result.runId);
    assert.ok(d.includes('Write fs.write deny'), d.join('\n'));
    assert.equal(d.filter((x) => x.endsWith('allow')).length <= 1, true);
    assert.ok(result.usage.inputTokens > 0 && result.usage.costUsd > 0, JSON.stringify(result.usage));
    const snapshot = (await rt.get(result.runId))!;
    assert.ok(snapshot.steps.some((s) => s.kind === 'executor_event' && s.data.type === 'tool_result'));
  });

  it('draft: the write becomes a change set; nothing happens until approval, then exactly once', async () => {
    const r = newRole('draft');
    const rt = await runtimeFor(r);
    const paused = await rt.run(r.file, { ticket: 'T-2' });
    assert.equal(paused.status, 'awaiting_approval', JSON.stringify(paused.error));
    assert.equal(r.has('out.txt'), false);
    assert.equal(r.has('../outside/outside.txt'), false);
    const inbox = await rt.inbox();
    const approval = inbox.approvals.find((a) => a.runId === paused.runId)!;
    assert.deepEqual(
      approval.calls.map((c) => [c.tool, c.args]),
      [['fs.write', { path: 'out.txt', content: 'from claude' }]],
    );
    const done = await rt.approve(paused.pending[0]!, { by: 'alice' });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(r.read('out.txt'), 'from claude');
    assert.equal(r.has('../outside/outside.txt'), false);
    await assert.rejects(rt.approve(paused.pending[0]!, { by: 'bob' }), { code: 'APPROVAL_NOT_PENDING' });
    const again = await rt.resume(paused.runId);
    assert.equal(again.status, 'succeeded');
    const snapshot = (await rt.get(paused.runId))!;
    const started = snapshot.steps.filter((s) => s.kind === 'tool_started' && s.data.tool === 'fs.write');
    assert.equal(started.length, 1, 'the drafted write ran exactly once');
    assert.equal(
      snapshot.toolCalls.filter((c) => c.status === 'succeeded' && c.tool === 'fs.write').length,
      1,
    );
  });

  it('sandbox: the write inside the workspace happens, the one outside is denied', async () => {
    const r = newRole('sandbox');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, { ticket: 'T-3' });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(r.read('out.txt'), 'from claude');
    assert.equal(r.has('../outside/outside.txt'), false);
    const d = await decisions(rt, result.runId);
    assert.ok(d.includes('Write fs.write allow') && d.includes('Write fs.write deny'), d.join('\n'));
  });

  it('full: the role’s tools run; the scope still holds', async () => {
    const r = newRole('full');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, { ticket: 'T-4' });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(r.read('out.txt'), 'from claude');
    assert.equal(r.has('../outside/outside.txt'), false);
  });

  /** A session that runs one Bash command, then answers. */
  function bashRole(
    autonomy: 'observe' | 'sandbox' | 'full',
    command: string,
    scope: Record<string, unknown>,
  ) {
    const r = writeExecutorRole({
      model: MODEL,
      autonomy,
      tools: ['fs.read', 'shell.exec'],
      extra: { scope },
    });
    roles.push(r);
    answer = (request) => {
      const turn = fake.read(request);
      if (!turn.toolNames.includes('Bash')) return { text: 'ok' };
      if (turn.toolResults.length === 0) return { calls: [{ name: 'Bash', input: { command } }] };
      return { text: '"done"' };
    };
    return r;
  }

  it('asks the policy even about commands Claude would run without asking (read-only Bash at observe)', async () => {
    const r = bashRole('observe', 'ls', { commands: ['ls'] });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await decisions(rt, result.runId), ['Bash shell.exec deny']);
    const snapshot = (await rt.get(result.runId))!;
    const toolResult = snapshot.steps.find(
      (s) => s.kind === 'executor_event' && s.data.type === 'tool_result',
    );
    assert.equal(toolResult?.data.isError, true);
  });

  it('denies Bash at sandbox (it would run outside bubblewrap); runs it at full with unsandboxedExec', async () => {
    const sandboxed = bashRole('sandbox', 'touch bash_made.txt', { commands: ['touch'] });
    const rt = await runtimeFor(sandboxed);
    const denied = await rt.run(sandboxed.file, {});
    assert.equal(denied.status, 'succeeded', JSON.stringify(denied.error));
    assert.equal(sandboxed.has('bash_made.txt'), false);
    assert.deepEqual(await decisions(rt, denied.runId), ['Bash shell.exec deny']);

    const open = bashRole('full', 'touch bash_made.txt', { commands: ['touch'], unsandboxedExec: true });
    const rt2 = await runtimeFor(open);
    const allowed = await rt2.run(open.file, {});
    assert.equal(allowed.status, 'succeeded', JSON.stringify(allowed.error));
    assert.equal(open.has('bash_made.txt'), true);
  });

  it('denies a Glob whose pattern climbs out of the workspace, by `..` or an absolute path', async () => {
    const r = writeExecutorRole({ model: MODEL, autonomy: 'observe', tools: ['fs.read', 'fs.list'] });
    roles.push(r);
    writeFileSync(join(r.outside, 'secret.txt'), 'outside');
    const patterns = ['../outside/*', join(r.outside, '*'), '**/../../outside/*', '*.txt'];
    answer = (request) => {
      const turn = fake.read(request);
      if (!turn.toolNames.includes('Glob')) return { text: 'ok' };
      const n = turn.toolResults.length;
      if (n < patterns.length) return { calls: [{ name: 'Glob', input: { pattern: patterns[n] } }] };
      return { text: JSON.stringify(turn.toolResults.map((t) => t.content)) };
    };
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await decisions(rt, result.runId), [
      'Glob fs.list deny',
      'Glob fs.list deny',
      'Glob fs.list deny',
      'Glob fs.list allow',
    ]);
    // What the model saw: three denials, then the workspace's own file; never the file outside.
    const seen = JSON.stringify(result.output);
    assert.doesNotMatch(seen, /secret\.txt/);
    assert.match(seen, /notes\.txt/);
  });

  it('a result with is_error fails the run, whatever its subtype', async () => {
    const r = writeExecutorRole({ model: MODEL, autonomy: 'full' });
    roles.push(r);
    answer = () => ({ status: 400, message: 'scripted refusal' });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'EXECUTOR_FAILED');
    assert.match(result.error?.message ?? '', /claude-code/);
    assert.equal(r.has('out.txt'), false);
  });

  it('a missing CLI fails at start, before a run is recorded, and says what to install', async () => {
    const r = writeExecutorRole({ model: MODEL, autonomy: 'full' });
    roles.push(r);
    const rt = await runtimeFor(r, { NIGHTSHIFT_CLAUDE_SDK: join(r.outside, 'no-such-sdk') });
    await assert.rejects(rt.run(r.file, {}), (err: unknown) => {
      assert.ok(err instanceof NightshiftError);
      assert.equal(err.code, 'EXECUTOR_UNAVAILABLE');
      assert.match(err.message, /NIGHTSHIFT_CLAUDE_SDK/);
      return true;
    });
    assert.deepEqual(await rt.list(), []);
  });
});
