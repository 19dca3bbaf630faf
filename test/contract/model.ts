// The Model contract for API providers, run against a local fake server speaking the provider's wire
// protocol. What the fake received is checked too: the adapter must send what the real API expects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { priceOf } from '../../src/models/pricing.js';
import type { ModelSettings } from '../../src/models/resolve.js';
import type { Message, Model, ModelRequest } from '../../src/models/types.js';
import type { FakeServer } from '../support/fake-llm.js';

export interface ModelContractSubject {
  /** Built with CONTRACT_MODEL_SETTINGS, pointed at `fake`. Use a priced spec to check the cost. */
  model: Model;
  fake: FakeServer;
  close(): Promise<void>;
}

/** The settings every setup resolves its model with: quick retries, so the retry tests stay fast. */
export const CONTRACT_MODEL_SETTINGS = { retryBaseMs: 5, maxRetries: 2 } satisfies ModelSettings;

const tools: ModelRequest['tools'] = [
  {
    name: 'fs.read',
    description: 'read a file',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'fs.write',
    description: 'write a file',
    inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } } },
  },
];

export function describeModelContract(name: string, setup: () => Promise<ModelContractSubject>): void {
  describe(`Model contract: ${name}`, () => {
    let subject: ModelContractSubject;
    let fake: FakeServer;
    const ask = (messages: Message[] = [{ role: 'user', content: 'hello' }]) =>
      subject.model.turn({ system: 'be brief', messages, tools });
    /** The requests the fake received since `from` (an earlier `fake.requests.length`). */
    const since = (from: number) => fake.requests.length - from;
    before(async () => {
      subject = await setup();
      fake = subject.fake;
    });
    after(() => subject.close());

    it('streams a text answer with usage and cost', async () => {
      fake.enqueue({ text: 'The answer is 42.', usage: { input: 1000, output: 200, cacheRead: 400 } });
      const r = await ask();
      assert.equal(r.text, 'The answer is 42.');
      assert.deepEqual(r.calls, []);
      assert.equal(r.stopReason, 'end');
      assert.ok(r.modelId.length > 0);
      assert.deepEqual(
        { ...r.usage, costUsd: 0 },
        { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400, costUsd: 0 },
      );
      const p = priceOf(subject.model.spec);
      const expected = p ? (600 * p.input + 400 * (p.cachedInput ?? p.input) + 200 * p.output) / 1e6 : 0;
      assert.ok(Math.abs(r.usage.costUsd - expected) < 1e-12, `${r.usage.costUsd} vs ${expected}`);
      const request = fake.requests.at(-1)!;
      assert.equal(request.body.stream, true);
      assert.deepEqual(fake.read(request).toolNames.sort(), ['fs_read', 'fs_write']);
    });

    it('maps a dotted tool name out and back, with arguments split across stream chunks', async () => {
      const path = 'docs/ünïcode & "quotes" {braces}.txt';
      fake.enqueue({ calls: [{ name: 'fs_read', input: { path } }] });
      const r = await ask();
      assert.equal(r.stopReason, 'tool_calls');
      assert.equal(r.calls.length, 1);
      assert.equal(r.calls[0]!.tool, 'fs.read');
      assert.deepEqual(r.calls[0]!.args, { path });
      assert.ok(r.calls[0]!.id.length > 0);
    });

    it('returns parallel tool calls of one turn in order, with distinct ids', async () => {
      fake.enqueue({
        text: 'both',
        calls: [
          { name: 'fs_read', input: { path: 'a' } },
          { name: 'fs_write', input: { path: 'b', content: 'c' } },
        ],
      });
      const r = await ask();
      assert.equal(r.text, 'both');
      assert.equal(r.stopReason, 'tool_calls');
      assert.deepEqual(
        r.calls.map((c) => [c.tool, c.args]),
        [
          ['fs.read', { path: 'a' }],
          ['fs.write', { path: 'b', content: 'c' }],
        ],
      );
      assert.equal(new Set(r.calls.map((c) => c.id)).size, 2);
    });

    it('sends earlier calls and their results back, paired by call id', async () => {
      fake.enqueue({ text: 'done' });
      const r = await ask([
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          text: 'reading and writing',
          calls: [
            { id: 'call_A', tool: 'fs.read', args: { path: 'a' } },
            { id: 'call_B', tool: 'fs.write', args: { path: 'b', content: 'x' } },
          ],
        },
        { role: 'tool', callId: 'call_A', tool: 'fs.read', content: '{"content":"AAA"}', isError: false },
        { role: 'tool', callId: 'call_B', tool: 'fs.write', content: 'denied: draft', isError: true },
      ]);
      assert.equal(r.text, 'done');
      const received = fake.read(fake.requests.at(-1)!);
      assert.deepEqual(received.toolCalls, [
        { id: 'call_A', name: 'fs_read', input: { path: 'a' } },
        { id: 'call_B', name: 'fs_write', input: { path: 'b', content: 'x' } },
      ]);
      assert.deepEqual(
        received.toolResults.map((t) => t.callId),
        ['call_A', 'call_B'],
      );
      assert.match(received.toolResults[0]!.content, /AAA/);
      assert.match(received.toolResults[1]!.content, /denied: draft/);
      // Only some protocols flag a failed result; where they do, the flag must be right.
      if (received.toolResults[1]!.isError !== undefined) {
        assert.equal(received.toolResults[0]!.isError, false);
        assert.equal(received.toolResults[1]!.isError, true);
      }
    });

    it('retries a 429 with retry-after: 0 and then succeeds', async () => {
      const from = fake.requests.length;
      fake.enqueue({ status: 429, retryAfter: 0, message: 'slow down' }, { text: 'after retry' });
      const r = await ask();
      assert.equal(r.text, 'after retry');
      assert.equal(since(from), 2);
    });

    it('waits as long as retry-after says before retrying', async () => {
      fake.enqueue({ status: 429, retryAfter: 1 }, { text: 'later' });
      const started = Date.now();
      assert.equal((await ask()).text, 'later');
      assert.ok(Date.now() - started >= 900, `retried after ${Date.now() - started} ms`);
    });

    it('gives up on a persistent 500 after the retries, with a MODEL_ERROR that hides the key', async () => {
      const from = fake.requests.length;
      const attempts = CONTRACT_MODEL_SETTINGS.maxRetries + 1;
      // Exactly `attempts` failures: one retry too many would get the default "ok" and resolve.
      fake.enqueue(...Array.from({ length: attempts }, () => ({ status: 500, message: 'boom' })));
      await assert.rejects(ask(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'MODEL_ERROR');
        assert.match(err.message, /HTTP 500/);
        assert.ok(err.message.includes(subject.model.spec), err.message);
        const key = fake.read(fake.requests.at(-1)!).apiKey;
        assert.ok(key && key.length > 8, 'the fake saw a key');
        assert.ok(!err.message.includes(key), err.message);
        return true;
      });
      assert.equal(since(from), attempts);
    });

    it('does not retry a 400', async () => {
      const from = fake.requests.length;
      fake.enqueue({ status: 400, message: 'bad request: messages is empty' });
      await assert.rejects(ask(), { code: 'MODEL_ERROR', message: /HTTP 400.*messages is empty/ });
      assert.equal(since(from), 1);
    });

    it('retries an error sent inside the stream before any output', async () => {
      const from = fake.requests.length;
      fake.enqueue(
        { streamError: { type: 'overloaded_error', message: 'Overloaded' } },
        { text: 'recovered' },
      );
      assert.equal((await ask()).text, 'recovered');
      assert.equal(since(from), 2);
    });

    it('fails with the provider message on an error inside the stream after output', async () => {
      fake.enqueue({
        text: 'partial answer',
        streamError: { type: 'invalid_request_error', message: 'stream broke' },
      });
      await assert.rejects(ask(), { code: 'MODEL_ERROR', message: /stream broke/ });
    });
  });
}
