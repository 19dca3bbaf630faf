// The codex executor end to end: the real Codex CLI (`codex app-server`, installed by
// scripts/test-executors.sh) against the local fake Responses API. Every command and file change Codex
// wants is put to the policy first; what a session did is checked from outside: the files in the
// workspace and next to it, and the decisions recorded.
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { NightshiftError } from '../src/errors.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import type { FakeAnswer, FakeRequest, FakeServer } from '../test/support/fake-openai-responses.js';
import { startFakeOpenAIResponses } from '../test/support/fake-openai-responses.js';
import { type ExecutorRole, writeExecutorRole } from './support.js';

const MODEL = 'codex:gpt-5';
type Autonomy = 'observe' | 'draft' | 'sandbox' | 'full';
type Call = { name: string; input: Record<string, unknown> };

const run = (cmd: string): Call => ({ name: 'exec_command', input: { cmd } });
/** Codex's apply_patch, as the model sends it: a heredoc in a command, which Codex turns into a file change. */
const addFile = (path: string, line: string): Call =>
  run(`apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: ${path}\n+${line}\n*** End Patch\nEOF\n`);

describe('codex executor (real Codex CLI, fake Responses API)', () => {
  let fake: FakeServer;
  const runtimes: Runtime[] = [];
  const roles: ExecutorRole[] = [];
  let answer: (request: FakeRequest) => FakeAnswer = () => ({ text: 'ok' });
  /** What the model was told its calls returned, as of its last request. */
  let results: { callId: string; content: string }[] = [];

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

  /** A session that makes these calls, one per model turn, then answers. */
  function script(calls: (role: ExecutorRole) => Call[], role: ExecutorRole) {
    answer = (request) => {
      const n = fake.read(request).toolResults.length;
      results = fake.read(request).toolResults;
      const list = calls(role);
      if (n < list.length) return { calls: [list[n]!], usage: { input: 300 + 100 * n, output: 20 } };
      return { text: '{"summary":"done"}', usage: { input: 500, output: 12, cacheRead: 100 } };
    };
  }

  /** The default session: reads the notes, writes out.txt inside, then outside.txt next to the workspace. */
  const readThenWrite = (role: ExecutorRole): Call[] => [
    run('cat notes.txt'),
    addFile('out.txt', 'from codex'),
    addFile(join(role.outside, 'outside.txt'), 'escaped'),
  ];

  function newRole(
    autonomy: Autonomy,
    o: {
      calls?: (role: ExecutorRole) => Call[];
      extra?: Record<string, unknown>;
      tools?: string[];
      /** Runs on the role's folder before the role file is loaded. */
      before?: (role: ExecutorRole) => void;
    } = {},
  ): ExecutorRole {
    const role = writeExecutorRole({
      model: MODEL,
      autonomy,
      tools: o.tools ?? ['fs.read', 'fs.write', 'fs.list', 'shell.exec'],
      extra: { scope: { commands: ['cat'] }, ...o.extra },
    });
    roles.push(role);
    o.before?.(role);
    script(o.calls ?? readThenWrite, role);
    return role;
  }

  async function decisions(rt: Runtime, runId: string) {
    const snapshot = (await rt.get(runId))!;
    return snapshot.steps
      .filter((s) => s.kind === 'decision')
      .map((s) => `${s.data.tool} ${s.data.decision}`);
  }

  async function commandOutputs(rt: Runtime, runId: string) {
    const snapshot = (await rt.get(runId))!;
    return snapshot.steps
      .filter((s) => s.kind === 'executor_event' && s.data.tool === 'command_execution')
      .map((s) => ({ text: String(s.data.text ?? ''), isError: s.data.isError }));
  }

  it('observe: every command and file change is put to the policy, which denies them all', async () => {
    const r = newRole('observe');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, { ticket: 'T-1' });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.output, { summary: 'done' });
    assert.deepEqual(await decisions(rt, result.runId), [
      'shell.exec deny',
      'fs.write deny',
      'fs.write deny',
    ]);
    assert.equal(r.has('out.txt'), false);
    assert.equal(r.has('../outside/outside.txt'), false);
    // Codex was told no: the command never ran.
    const [cat] = await commandOutputs(rt, result.runId);
    assert.equal(cat?.isError, true);
    assert.doesNotMatch(cat?.text ?? '', /the notes say/);
  });

  it('records usage and the cost from the price table', async () => {
    const r = newRole('observe');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    // Four model calls: 300, 400, 500 (three tool calls), then 500 with 100 cached for the answer.
    assert.equal(result.usage.inputTokens, 1700);
    assert.equal(result.usage.outputTokens, 72);
    assert.equal(result.usage.cachedInputTokens, 100);
    // openai:gpt-5: 1.25 in, 0.125 cached in, 10 out per million tokens.
    const expected = (1600 * 1.25 + 100 * 0.125 + 72 * 10) / 1e6;
    assert.ok(Math.abs(result.usage.costUsd - expected) < 1e-12, `${result.usage.costUsd} vs ${expected}`);
  });

  it('sandbox: a command in scope runs, a file change inside is made, one outside is denied', async () => {
    const r = newRole('sandbox');
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await decisions(rt, result.runId), [
      'shell.exec allow',
      'fs.write allow',
      'fs.write deny',
    ]);
    const [cat] = await commandOutputs(rt, result.runId);
    assert.match(cat?.text ?? '', /the notes say/);
    assert.equal(r.read('out.txt'), 'from codex\n');
    assert.equal(r.has('../outside/outside.txt'), false);
    const snapshot = (await rt.get(result.runId))!;
    const outside = snapshot.toolCalls.find((c) => c.tool === 'fs.write' && c.status === 'denied');
    assert.match(String(outside?.reason), /absolute/);
  });

  it('sandbox: a command outside the role’s command scope is denied before it runs', async () => {
    const r = newRole('sandbox', {
      calls: () => [run('touch made-by-touch.txt'), run('cat notes.txt'), run('rm notes.txt')],
    });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await decisions(rt, result.runId), [
      'shell.exec deny',
      'shell.exec allow',
      'shell.exec deny',
    ]);
    // The side effects did not happen; the allowed command did.
    assert.equal(r.has('made-by-touch.txt'), false);
    assert.equal(r.read('notes.txt'), 'the notes say: write out.txt\n');
    const snapshot = (await rt.get(result.runId))!;
    const denied = snapshot.toolCalls.filter((c) => c.status === 'denied');
    assert.match(String(denied[0]?.reason), /command 'touch' is not on this role's allowlist/);
  });

  // Codex's sandbox can read the whole file system unless told otherwise: the protected paths are denied
  // in its permission profile, so an allowed `cat` of them fails inside the sandbox.
  for (const [mode, tools] of [
    ['workspace-write', undefined],
    ['read-only', ['fs.read', 'shell.exec']],
  ] as const)
    it(`sandbox (${mode}): an allowed command cannot read the store, the secrets file or another role's workspace`, async () => {
      const SECRET = 'sk-codex-deny-9f3e1c';
      const r = newRole('sandbox', {
        ...(tools ? { tools: [...tools] } : {}),
        calls: (role) => [
          run(`cat ${join(role.dataDir, 'nightshift.db')}`),
          run(`cat ${join(role.workspace, '..', 'secrets.env')}`),
          run(`cat ${join(role.outside, 'other.txt')}`),
          run('cat notes.txt'),
        ],
        extra: { secrets: ['API_TOKEN'], secretsFile: './secrets.env', scope: { commands: ['cat'] } },
        before: (role) => writeFileSync(join(role.workspace, '..', 'secrets.env'), `API_TOKEN=${SECRET}\n`),
      });
      writeFileSync(join(r.outside, 'other.txt'), `${SECRET} in another role's workspace\n`);
      const rt = await createRuntime({
        dataDir: r.dataDir,
        // The other role's workspace, as runtime.ts adds it for every role it knows of.
        protectedPaths: [r.outside],
        env: { ...process.env, OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: fake.url },
      });
      runtimes.push(rt);
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
      assert.deepEqual(await decisions(rt, result.runId), Array(4).fill('shell.exec allow'));
      // The model was told each protected read failed inside Codex's sandbox; the workspace stays readable.
      assert.equal(results.length, 4);
      for (const denied of results.slice(0, 3)) {
        assert.match(denied.content, /exited with code 1/);
        assert.match(denied.content, /Permission denied/);
      }
      assert.match(results[3]?.content ?? '', /exited with code 0[\s\S]*the notes say/);
      assert.doesNotMatch(JSON.stringify(results), new RegExp(SECRET));
      const stored = JSON.stringify(await rt.get(result.runId));
      assert.doesNotMatch(stored, new RegExp(SECRET));
      assert.doesNotMatch(stored, /SQLite format/);
    });

  it('sandbox: a script that needs a shell is judged as bash -c, so the role must allow bash', async () => {
    const r = newRole('sandbox', { calls: () => [run('cat notes.txt > copy.txt')] });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await decisions(rt, result.runId), ['shell.exec deny']);
    assert.equal(r.has('copy.txt'), false);
    const snapshot = (await rt.get(result.runId))!;
    assert.deepEqual(snapshot.toolCalls[0]?.args, {
      command: 'bash',
      args: ['-c', 'cat notes.txt > copy.txt'],
    });
  });

  it('applies a change whole or not at all: one file outside refuses the file inside too', async () => {
    const both = (role: ExecutorRole) =>
      run(
        `apply_patch <<'EOF'\n*** Begin Patch\n*** Add File: in.txt\n+in\n*** Add File: ${join(role.outside, 'out.txt')}\n+out\n*** End Patch\nEOF\n`,
      );
    const r = newRole('sandbox', {
      calls: (role) => [
        both(role),
        addFile('.codex/rules/x.rules', 'prefix_rule(pattern=["rm"], decision="allow")'),
      ],
    });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(r.has('in.txt'), false);
    assert.equal(r.has('../outside/out.txt'), false);
    // Nothing was written under .codex/ (Codex's own sandbox may leave the empty folder it mounts there).
    assert.deepEqual(r.has('.codex') ? readdirSync(join(r.workspace, '.codex')) : [], []);
    const snapshot = (await rt.get(result.runId))!;
    assert.deepEqual(snapshot.toolCalls.map((c) => `${c.tool} ${c.decision} ${c.status}`).sort(), [
      'codex.config_change deny denied',
      'fs.write allow rejected',
      'fs.write deny denied',
    ]);
    // An empty .codex/ is no reason to refuse the next session on the same workspace.
    mkdirSync(join(r.workspace, '.codex'), { recursive: true });
    const again = await rt.run(r.file, {});
    assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
  });

  it('an escalation rule that matches a Codex command holds it for a human; it does not run', async () => {
    const r = newRole('full', {
      calls: () => [run('touch flagged.txt')],
      extra: {
        scope: { commands: ['cat', 'touch'] },
        escalation: [{ category: 'high_impact', when: { tool: 'shell.exec', arg: 'command', eq: 'touch' } }],
      },
    });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'escalated', JSON.stringify(result.error));
    assert.deepEqual(await decisions(rt, result.runId), ['shell.exec escalate']);
    assert.equal(r.has('flagged.txt'), false);
    const escalation = (await rt.inbox()).escalations.find((e) => e.runId === result.runId);
    assert.equal(escalation?.category, 'high_impact');
  });

  it('draft: works on a copy; the diff is a change set applied only on approval, exactly once', async () => {
    const r = newRole('draft');
    const rt = await runtimeFor(r);
    const paused = await rt.run(r.file, { ticket: 'T-2' });
    assert.equal(paused.status, 'awaiting_approval', JSON.stringify(paused.error));
    assert.equal(r.has('out.txt'), false);
    assert.equal(r.has('../outside/outside.txt'), false);
    // On the copy: the command and the write inside were drafts (done on the copy), the write outside denied.
    assert.deepEqual((await decisions(rt, paused.runId)).slice(0, 3), [
      'shell.exec draft',
      'fs.write draft',
      'fs.write deny',
    ]);
    const approval = (await rt.inbox()).approvals.find((a) => a.runId === paused.runId)!;
    assert.deepEqual(
      approval.calls.map((c) => [c.tool, c.args]),
      [['fs.write', { path: 'out.txt', content: 'from codex\n' }]],
    );
    const done = await rt.approve(paused.pending[0]!, { by: 'alice' });
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(r.read('out.txt'), 'from codex\n');
    assert.equal(r.has('../outside/outside.txt'), false);
    await assert.rejects(rt.approve(paused.pending[0]!, { by: 'bob' }), { code: 'APPROVAL_NOT_PENDING' });
    assert.equal((await rt.resume(paused.runId)).status, 'succeeded');
    const snapshot = (await rt.get(paused.runId))!;
    assert.equal(
      snapshot.steps.filter((s) => s.kind === 'tool_started' && s.data.tool === 'fs.write').length,
      1,
    );
  });

  it('full with danger-full-access: a command runs only with scope.unsandboxedExec', async () => {
    const open = { codexSandbox: 'danger-full-access' };
    const r = newRole('full', { calls: () => [run('cat notes.txt')], extra: { executor: open } });
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(await decisions(rt, result.runId), ['shell.exec deny']);
    const snapshot = (await rt.get(result.runId))!;
    assert.match(String(snapshot.toolCalls[0]?.reason), /unsandboxedExec/);

    const r2 = newRole('full', {
      calls: () => [run('cat notes.txt')],
      extra: { executor: open, scope: { commands: ['cat'], unsandboxedExec: true } },
    });
    const rt2 = await runtimeFor(r2);
    const result2 = await rt2.run(r2.file, {});
    assert.equal(result2.status, 'succeeded', JSON.stringify(result2.error));
    assert.deepEqual(await decisions(rt2, result2.runId), ['shell.exec allow']);
    assert.match((await commandOutputs(rt2, result2.runId))[0]?.text ?? '', /the notes say/);
  });

  it('passes the prompt on stdin: it is in no process’s argv while the session runs', async () => {
    const marker = `needle-${process.pid}-${Date.now()}`;
    const r = newRole('sandbox', { calls: () => [run('cat notes.txt')] });
    const inArgv: string[] = [];
    let looked = false;
    const scripted = answer;
    answer = (request) => {
      // The Codex process is alive and waiting for this answer: read every process's command line now.
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (argv.includes(marker)) inArgv.push(argv.replaceAll('\0', ' '));
        } catch {} // a process that ended meanwhile
      }
      looked = true;
      return scripted(request);
    };
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, { ticket: marker });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(looked, true);
    assert.deepEqual(inArgv, []);
    // The model did get it.
    assert.ok(fake.requests.some((q) => JSON.stringify(q.body).includes(marker)));
  });

  it('refuses a workspace holding .codex/, whose rules could let commands skip nightshift', async () => {
    const r = newRole('sandbox', { calls: () => [run('touch sneaked.txt')] });
    mkdirSync(join(r.workspace, '.codex', 'rules'), { recursive: true });
    writeFileSync(
      join(r.workspace, '.codex', 'rules', 'x.rules'),
      'prefix_rule(pattern=["touch"], decision="allow")\n',
    );
    const rt = await runtimeFor(r);
    const result = await rt.run(r.file, {});
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'EXECUTOR_FAILED');
    assert.match(result.error?.message ?? '', /\.codex/);
    assert.equal(r.has('sneaked.txt'), false);
  });

  it('a role without write tools gets a read-only sandbox at any rung', async () => {
    const r = newRole('full', { tools: ['fs.read', 'shell.exec'] });
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
