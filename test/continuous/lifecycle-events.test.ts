// Lifecycle events: the supervisor tells its host about its agents through typed events
// (src/lifecycle-events.ts), and a listener that throws is an error reported like any other: it never
// stops the supervisor, and the agents go on handling their inbox.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type NightshiftEvent, safeEmit } from '../../src/lifecycle-events.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeRequest, FakeServer } from '../support/fake-llm.js';
import { writeTestRole } from '../support/roles.js';
import { inputOf } from '../support/run-input.js';
import { waitFor } from '../support/wait.js';

const handled: NightshiftEvent = {
  name: 'inbox:handled',
  data: { role: 'watcher', inboxId: 'evt_1', runId: 'run_1', status: 'succeeded' },
};

describe('safeEmit', () => {
  it('reports a throwing listener and still calls the others', () => {
    const heard: string[] = [];
    const errors: unknown[] = [];
    safeEmit(
      [
        () => {
          throw new Error('log hook broke');
        },
        (e) => heard.push(e.name),
      ],
      handled,
      (err, event) => errors.push([(err as Error).message, event.name]),
    );
    assert.deepEqual(heard, ['inbox:handled']);
    assert.deepEqual(errors, [['log hook broke', 'inbox:handled']]);
  });

  it('goes on when the error report throws too', () => {
    const heard: string[] = [];
    safeEmit(
      [
        () => {
          throw new Error('first');
        },
        (e) => heard.push(e.name),
      ],
      handled,
      () => {
        throw new Error('the reporter broke');
      },
    );
    assert.deepEqual(heard, ['inbox:handled']);
  });
});

/** A counter agent: remembers how many events it saw. */
function counterAnswer(request: FakeRequest) {
  const seen = (inputOf(request).context as { seen?: number } | null)?.seen ?? 0;
  return { text: JSON.stringify({ context: { seen: seen + 1 } }) };
}

describe('supervisor lifecycle events', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeAnthropic();
  });
  after(() => fake.close());

  it('keeps handling the inbox when the event listener throws, and reports the throw to onError', async () => {
    const r = writeTestRole({
      name: 'watcher',
      autonomy: 'full',
      tools: [],
      turns: [{ final: {} }],
      extra: {
        model: 'anthropic:claude-sonnet-4-5',
        mode: 'continuous',
        continuous: { leaseSeconds: 5, heartbeatSeconds: 1 },
        triggers: [{ event: 'alert.fired' }],
      },
    });
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ANTHROPIC_API_KEY: 'test-key', ANTHROPIC_BASE_URL: fake.url },
      models: { maxRetries: 0 },
    });
    const abort = new AbortController();
    try {
      const role = await loadRoleFile(r.file);
      for (let i = 0; i < 2; i++) fake.enqueue(counterAnswer);
      const typed: NightshiftEvent[] = [];
      const legacy: string[] = [];
      const errors: string[] = [];
      const handle = rt.work({
        roles: [role],
        concurrency: 1,
        pollMs: 20,
        signal: abort.signal,
        onLifecycleEvent: (event) => {
          typed.push(event);
          throw new Error(`listener broke on ${event.name}`);
        },
        // The deprecated string listener still hears every event, under its old name.
        onAgentEvent: (what) => legacy.push(what),
        onError: (err) => errors.push((err as Error).message),
      });
      for (const id of ['A-1', 'A-2']) await rt.emit('alert.fired', { id });
      handle.wake();
      const agent = await waitFor(async () => {
        const [a] = await rt.agents();
        return a && a.inbox === 0 && a.status === 'idle' && (a.context as { seen?: number })?.seen === 2
          ? a
          : undefined;
      }, 'both events handled despite the throwing listener');
      assert.deepEqual(agent.context, { seen: 2 });
      const names = typed.map((e) => e.name);
      assert.equal(names[0], 'agent:started');
      assert.equal(names.filter((n) => n === 'inbox:handled').length, 2);
      const handledEvent = typed.find((e) => e.name === 'inbox:handled');
      assert.equal(handledEvent?.name === 'inbox:handled' && handledEvent.data.status, 'succeeded');
      assert.deepEqual(legacy.slice(0, 1), ['agent started']);
      assert.equal(legacy.filter((n) => n === 'event handled').length, 2);
      assert.ok(errors.includes('listener broke on agent:started'), errors.join('; '));
      assert.ok(errors.includes('listener broke on inbox:handled'), errors.join('; '));
      abort.abort();
      await handle.done;
    } finally {
      abort.abort();
      await rt.close();
      r.cleanup();
    }
  });
});
