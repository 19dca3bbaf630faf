// The Model contract for API providers, run against a local fake server speaking the provider's wire
// protocol. What the fake received is checked too: the adapter must send what the real API expects.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveModel } from '../../src/models/resolve.js';
import type { Message, Model, ModelRequest } from '../../src/models/types.js';
import type { FakeServer } from '../support/fake-anthropic.js';

export interface ModelContractSetup {
  /** Spec of a priced model, e.g. anthropic:claude-sonnet-4-5. */
  spec: (fake: FakeServer) => string;
  env: (fake: FakeServer) => NodeJS.ProcessEnv;
  start: () => Promise<FakeServer>;
  /** Price of the spec (USD per million), to check the cost. 0 when unpriced. */
  price: { input: number; output: number; cachedInput: number };
  /** Where the tool results are in a request body, as [tool call id, content] pairs. */
  toolResults: (body: Record<string, unknown>) => [string, string][];
  /** Tool names offered in a request body. */
  toolNames: (body: Record<string, unknown>) => string[];
  secret: string;
}

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

export function describeModelContract(name: string, setup: ModelContractSetup): void {
  describe(`Model contract: ${name}`, () => {
    let fake: FakeServer;
    let model: Model;
    const ask = (messages: Message[] = [{ role: 'user', content: 'hello' }]) =>
      model.turn({ system: 'be brief', messages, tools });
    before(async () => {
      fake = await setup.start();
      model = await resolveModel(setup.spec(fake), {
        env: setup.env(fake),
        config: { retryBaseMs: 5, maxRetries: 2 },
      });
    });
    after(() => fake.close());

    it('streams a text answer with usage and cost', async () => {
      fake.enqueue({ text: 'The answer is 42.', usage: { input: 1000, output: 200, cacheRead: 400 } });
      const r = await ask();
      assert.equal(r.text, 'The answer is 42.');
      assert.deepEqual(r.calls, []);
      assert.equal(r.stopReason, 'end');
      assert.equal(r.usage.inputTokens, 1000);
      assert.equal(r.usage.outputTokens, 200);
      assert.equal(r.usage.cachedInputTokens, 400);
      const p = setup.price;
      const expected = (600 * p.input + 400 * p.cachedInput + 200 * p.output) / 1e6;
      assert.ok(Math.abs(r.usage.costUsd - expected) < 1e-12, `${r.usage.costUsd} vs ${expected}`);
      const body = fake.requests.at(-1)!.body;
      assert.equal(body.stream, true);
      assert.deepEqual(setup.toolNames(body).sort(), ['fs_read', 'fs_write']);
    });

    it('maps a dotted tool name out and back, with arguments split across stream chunks', async () => {
      fake.enqueue({ calls: [{ name: 'fs_read', input: { path: 'docs/ünïcode & "quotes".txt' } }] });
      const r = await ask();
      assert.equal(r.stopReason, 'tool_calls');
      assert.equal(r.calls.length, 1);
      assert.equal(r.calls[0]!.tool, 'fs.read');
      assert.deepEqual(r.calls[0]!.args, { path: 'docs/ünïcode & "quotes".txt' });
      assert.ok(r.calls[0]!.id.length > 0);
    });

    it('returns parallel tool calls of one turn in order', async () => {
      fake.enqueue({
        text: 'both',
        calls: [
          { name: 'fs_read', input: { path: 'a' } },
          { name: 'fs_write', input: { path: 'b', content: 'c' } },
        ],
      });
      const r = await ask();
      assert.deepEqual(
        r.calls.map((c) => [c.tool, c.args]),
        [
          ['fs.read', { path: 'a' }],
          ['fs.write', { path: 'b', content: 'c' }],
        ],
      );
      assert.equal(r.text, 'both');
    });

    it('sends tool results back paired with their call ids', async () => {
      fake.enqueue({ text: 'done' });
      await ask([
        { role: 'user', content: 'go' },
        {
          role: 'assistant',
          text: '',
          calls: [
            { id: 'call_A', tool: 'fs.read', args: { path: 'a' } },
            { id: 'call_B', tool: 'fs.write', args: { path: 'b' } },
          ],
        },
        { role: 'tool', callId: 'call_A', tool: 'fs.read', content: '{"content":"AAA"}', isError: false },
        { role: 'tool', callId: 'call_B', tool: 'fs.write', content: 'denied: draft', isError: true },
      ]);
      const results = setup.toolResults(fake.requests.at(-1)!.body);
      assert.deepEqual(
        results.map(([id]) => id),
        ['call_A', 'call_B'],
      );
      assert.match(results[0]![1], /AAA/);
      assert.match(results[1]![1], /denied: draft/);
    });

    it('retries a 429, honouring retry-after, and then succeeds', async () => {
      const before = fake.requests.length;
      fake.enqueue({ status: 429, retryAfter: 0, message: 'slow down' }, { text: 'after retry' });
      const r = await ask();
      assert.equal(r.text, 'after retry');
      assert.equal(fake.requests.length - before, 2);
    });

    it('gives up on a persistent 500 after the retries, with a MODEL_ERROR that hides the key', async () => {
      const before = fake.requests.length;
      fake.enqueue({ status: 500 }, { status: 500 }, { status: 500 });
      await assert.rejects(ask(), (err: Error & { code?: string }) => {
        assert.equal(err.code, 'MODEL_ERROR');
        assert.match(err.message, /HTTP 500/);
        assert.ok(!err.message.includes(setup.secret));
        return true;
      });
      assert.equal(fake.requests.length - before, 3);
    });

    it('does not retry a 400', async () => {
      const before = fake.requests.length;
      fake.enqueue({ status: 400, message: 'bad request' });
      await assert.rejects(ask(), { code: 'MODEL_ERROR' });
      assert.equal(fake.requests.length - before, 1);
    });
  });
}
