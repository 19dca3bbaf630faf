// Continuous roles on an executor keep their thread across events: the real Claude Code (session resume)
// and the real Codex (app-server thread/resume) against the local fake APIs. That the second event's
// session continued the first's is proved from what the fake API received: the conversation sent for
// event EVT-2 holds event EVT-1 and the answer to it. A thread whose transcript is gone (swept, or kept on
// another machine) is replaced by a new one, logged as a step, and the event is still handled. A worker
// killed with SIGKILL between two events is taken over by another, which continues the same thread.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRoleFile } from '../src/roles/load.js';
import { createRuntime, type Runtime } from '../src/runtime.js';
import { authFor, json, runCli, startServe } from '../test/support/cli.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import type { FakeRequest, FakeServer } from '../test/support/fake-llm.js';
import { startFakeOpenAIResponses } from '../test/support/fake-openai-responses.js';
import { waitFor } from '../test/support/wait.js';
import { type ExecutorRole, writeExecutorRole } from './support.js';

// Codex will not set up its sandbox helper under /tmp, so the threads go under the user's cache.
const threadsRoot = join(homedir(), '.cache', 'nightshift', `test-threads-${randomUUID()}`);
after(() => rmSync(threadsRoot, { recursive: true, force: true }));

/** The highest event number a request's conversation mentions: the event being handled. */
function eventOf(request: FakeRequest): number {
  const ids = [...JSON.stringify(request.body).matchAll(/EVT-(\d+)/g)].map((m) => Number(m[1]));
  return Math.max(0, ...ids);
}

/** Answers every request with the context `{ last: EVT-n }` for the event it handles, and a note. */
function remember(fake: FakeServer) {
  fake.enqueue(
    ...Array.from({ length: 300 }, () => (request: FakeRequest) => ({
      // Only `context` is kept by the agent (and sent with the next event); `note` is only in the thread.
      text: JSON.stringify({
        context: { last: `EVT-${eventOf(request)}` },
        note: `answer-${eventOf(request)}`,
      }),
    })),
  );
}

/** The requests the CLI sent while handling event `n` (its model turns, not side requests). */
const requestsFor = (fake: FakeServer, n: number) =>
  fake.requests.filter((r) => eventOf(r) === n && fake.read(r).toolNames.length > 0);

function continuousRole(model: string, name: string): ExecutorRole {
  return writeExecutorRole({
    model,
    autonomy: 'observe',
    tools: ['fs.read'],
    extra: {
      name,
      mode: 'continuous',
      continuous: { leaseSeconds: 2, heartbeatSeconds: 0.4 },
      triggers: [{ event: 'alert' }],
    },
  });
}

/** The thread fields of `executor_started` (resume) and `model_turn` (id, resumed). */
interface ThreadData {
  thread?: { id?: string; resumed?: boolean; resume?: string | null };
}
type Steps = { kind: string; data: Record<string, unknown> }[];
const stepsOf = async (rt: Runtime, runId: string): Promise<Steps> => (await rt.get(runId))!.steps as Steps;
/** The data of the first step of `kind`. */
const first = (steps: Steps, kind: string) => steps.find((s) => s.kind === kind)!.data as ThreadData;

const cases = [
  {
    executor: 'claude-code',
    model: 'claude-code:claude-sonnet-4-5',
    fake: () => startFakeAnthropic({ validate: false }),
    env: (url: string) => ({ ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: url }),
  },
  {
    executor: 'codex',
    model: 'codex:gpt-5',
    fake: () => startFakeOpenAIResponses({ validate: false }),
    env: (url: string) => ({ OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: url }),
  },
] as const;

for (const c of cases) {
  describe(`a continuous ${c.executor} role`, () => {
    it('continues its thread from one event to the next; a lost thread is replaced and logged', async () => {
      const fake = await c.fake();
      remember(fake);
      const r = continuousRole(c.model, `keeper-${c.executor}`);
      const rt = await createRuntime({
        dataDir: r.dataDir,
        env: { ...process.env, ...c.env(fake.url), NIGHTSHIFT_EXECUTOR_THREADS_DIR: threadsRoot },
      });
      const abort = new AbortController();
      try {
        const role = await loadRoleFile(r.file);
        const worker = rt.work({ roles: [role], concurrency: 1, pollMs: 20, signal: abort.signal });
        const handled = (n: number) =>
          waitFor(
            async () => {
              const [a] = await rt.agents();
              return a?.status === 'idle' && (a.context as { last?: string })?.last === `EVT-${n}`
                ? a
                : undefined;
            },
            `EVT-${n} handled`,
            120_000,
          );
        await rt.emit('alert', { id: 'EVT-1' });
        const one = await handled(1);
        assert.equal(one.thread?.executor, c.executor);
        await rt.emit('alert', { id: 'EVT-2' });
        const two = await handled(2);

        // What the API received for EVT-2: the whole conversation, EVT-1's answer (its note, which the
        // agent's context does not carry) included.
        const second = requestsFor(fake, 2);
        assert.ok(second.length > 0, 'EVT-2 reached the model');
        const sent = JSON.stringify(second[0]!.body);
        assert.ok(
          sent.includes('answer-1'),
          `EVT-2's conversation holds EVT-1's answer: …${sent.slice(-1500)}`,
        );
        const firstSent = JSON.stringify(requestsFor(fake, 1)[0]!.body);
        assert.ok(!firstSent.includes('answer-'), 'and EVT-1 started from nothing');

        // The log says so: EVT-2's session asked for EVT-1's thread and continued it.
        const runs = (await rt.list({ role: role.name })).sort((a, b) => a.createdAt - b.createdAt);
        const [s1, s2] = [await stepsOf(rt, runs[0]!.id), await stepsOf(rt, runs[1]!.id)];
        const thread1 = first(s1, 'model_turn').thread!;
        assert.equal(thread1.resumed, false);
        assert.deepEqual(first(s2, 'executor_started').thread, { resume: thread1.id });
        assert.equal(first(s2, 'model_turn').thread?.resumed, true);
        assert.deepEqual(two.thread, { executor: c.executor, id: first(s2, 'model_turn').thread!.id });

        // The CLI's transcripts are lost (swept, or this is another machine): EVT-3 starts a new thread.
        rmSync(join(threadsRoot, c.executor, role.name), { recursive: true, force: true });
        await rt.emit('alert', { id: 'EVT-3' });
        const three = await handled(3);
        assert.notEqual(three.thread?.id, two.thread?.id);
        const runs3 = (await rt.list({ role: role.name })).sort((a, b) => a.createdAt - b.createdAt);
        assert.equal(runs3[2]!.status, 'succeeded');
        const s3 = await stepsOf(rt, runs3[2]!.id);
        const lost = s3.find((s) => s.kind === 'executor_event' && s.data.type === 'thread/not_resumed');
        assert.ok(lost, `the new thread is logged: ${JSON.stringify(s3.map((s) => s.kind))}`);
        assert.equal(first(s3, 'model_turn').thread?.resumed, false);
        const thirdSent = JSON.stringify(requestsFor(fake, 3)[0]!.body);
        assert.ok(!thirdSent.includes('answer-'), 'the new thread starts empty');
        abort.abort();
        await worker.done;
      } finally {
        abort.abort();
        await rt.close();
        await fake.close();
        r.cleanup();
      }
    });
  });
}

describe('a continuous claude-code role whose worker is killed between events', () => {
  it('is taken over by another worker, which continues the same thread', async () => {
    const fake = await startFakeAnthropic({ validate: false });
    remember(fake);
    const r = continuousRole('claude-code:claude-sonnet-4-5', 'keeper-killed');
    const dir = join(r.file, '..');
    const env = {
      ...cases[0].env(fake.url),
      NIGHTSHIFT_DATA_DIR: r.dataDir,
      NIGHTSHIFT_EXECUTOR_THREADS_DIR: threadsRoot,
    };
    const serve = () => startServe([dir, '--port', '0', '--poll-ms', '25'], { env });
    const post = (url: string, id: string) =>
      fetch(`${url}/events/alert`, {
        method: 'POST',
        headers: { ...authFor(url), 'content-type': 'application/json' },
        body: JSON.stringify({ id }),
      }).then((x) => x.status);
    const runs = async () =>
      json<{ runId: string; status: string; output: { context: { last: string } } | null }[]>(
        await runCli(['runs', '--json'], { env }),
      );
    const show = async (runId: string) =>
      json<{ steps: Steps }>(await runCli(['show', runId, '--json'], { env })).steps;
    const a = await serve();
    let b: Awaited<ReturnType<typeof serve>> | undefined;
    try {
      assert.equal(await post(a.url, 'EVT-1'), 202);
      await waitFor(
        async () => ((await runs()).some((x) => x.status === 'succeeded') ? true : undefined),
        'EVT-1 handled by A',
        120_000,
      );
      a.child.kill('SIGKILL');
      await a.done;

      b = await serve();
      assert.equal(await post(b.url, 'EVT-2'), 202);
      const done = await waitFor(
        async () => {
          const all = await runs();
          return all.length === 2 && all.every((x) => x.status === 'succeeded') ? all : undefined;
        },
        'EVT-2 handled by B after taking the agent over',
        120_000,
      );
      const handles = (n: number) => done.find((x) => x.output?.context.last === `EVT-${n}`);
      const [r1, r2] = [handles(1), handles(2)];
      const thread1 = first(await show(r1!.runId), 'model_turn').thread!;
      const s2 = await show(r2!.runId);
      assert.deepEqual(first(s2, 'executor_started').thread, { resume: thread1.id });
      assert.deepEqual(first(s2, 'model_turn').thread, { id: thread1.id, resumed: true });
      const sent = JSON.stringify(requestsFor(fake, 2)[0]!.body);
      assert.ok(sent.includes('answer-1'), `B's session holds EVT-1's answer: …${sent.slice(-1500)}`);
      // B took the agent over from the dead A, and the agent keeps the thread B continued.
      const { agents } = json<{ agents: { takeovers: number; thread: unknown }[] }>(
        await runCli(['status', '--json'], { env }),
      );
      assert.equal(agents[0]!.takeovers, 1);
      assert.deepEqual(agents[0]!.thread, { executor: 'claude-code', id: thread1.id });
    } finally {
      a.child.kill('SIGKILL');
      b?.child.kill('SIGKILL');
      await fake.close();
      r.cleanup();
    }
  });
});
