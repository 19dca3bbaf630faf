// The Model contract for API providers, run against a local fake server speaking the provider's wire
// protocol. What the fake received is checked too: the adapter must send what the real API expects (the
// fakes also answer 400, like the real APIs, to requests that break the protocol's rules).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { NightshiftError } from '../../src/errors.js';
import { priceOf } from '../../src/models/pricing.js';
import type { ModelSettings } from '../../src/models/resolve.js';
import type { Message, Model, ModelRequest } from '../../src/models/types.js';
import { type FakeServer, times } from '../support/fake-llm.js';
import { waitFor } from '../support/wait.js';

export interface ModelContractSubject {
  fake: FakeServer;
  /** The key the model sends, to check that no error message shows it. */
  apiKey: string;
  /** Builds the model under test, pointed at `fake`, with these settings. Use a priced spec where there is one. */
  model(settings: ModelSettings): Model;
  close(): Promise<void>;
}

/** Quick retries, so the retry tests stay fast. */
const SETTINGS = { retryBaseMs: 5, maxRetries: 2 } satisfies ModelSettings;

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

function modelError(check: (err: NightshiftError) => void) {
  return (err: unknown) => {
    assert.ok(NightshiftError.isInstance(err), String(err));
    assert.equal(err.code, 'MODEL_ERROR', err.message);
    check(err);
    return true;
  };
}

export function describeModelContract(name: string, setup: () => Promise<ModelContractSubject>): void {
  describe(`Model contract: ${name}`, () => {
    let subject: ModelContractSubject;
    let fake: FakeServer;
    let model: Model;
    const ask = (
      messages: Message[] = [{ role: 'user', content: 'hello' }],
      m = model,
      signal?: AbortSignal,
    ) => m.turn({ system: 'be brief', messages, tools, ...(signal ? { signal } : {}) });
    /** The number of requests the fake received since `from` (an earlier `fake.requests.length`). */
    const since = (from: number) => fake.requests.length - from;
    const lastRequest = () => fake.read(fake.requests.at(-1)!);
    before(async () => {
      subject = await setup();
      fake = subject.fake;
      model = subject.model(SETTINGS);
    });
    after(() => subject.close());

    describe('answers', () => {
      it('streams a text answer, with usage and its cost from the price table', async () => {
        fake.enqueue({ text: 'The answer is 42.', usage: { input: 1000, output: 200, cacheRead: 400 } });
        const r = await ask();
        assert.equal(r.text, 'The answer is 42.');
        assert.deepEqual(r.calls, []);
        assert.equal(r.stopReason, 'end');
        assert.deepEqual(
          { ...r.usage, costUsd: 0 },
          { inputTokens: 1000, outputTokens: 200, cachedInputTokens: 400, costUsd: 0 },
        );
        const p = priceOf(model.spec);
        assert.equal(model.priced, p !== undefined);
        const expected = p ? (600 * p.input + 400 * (p.cachedInput ?? p.input) + 200 * p.output) / 1e6 : 0;
        assert.ok(Math.abs(r.usage.costUsd - expected) < 1e-12, `${r.usage.costUsd} vs ${expected}`);
        assert.equal(fake.requests.at(-1)!.body.stream, true);
        assert.deepEqual(lastRequest().toolNames.sort(), ['fs_read', 'fs_write']);
      });

      it('reports the model id the provider answered with', async () => {
        fake.enqueue({ text: 'hi', model: 'snapshot-2099-01-01' });
        assert.equal((await ask()).modelId, 'snapshot-2099-01-01');
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

      it('returns parallel tool calls of one message in order, with distinct ids', async () => {
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

      it('passes arguments that are not JSON on as the raw string, for the schema check to reject', async () => {
        fake.enqueue({ calls: [{ name: 'fs_read', rawInput: '{"path": "a"' }] });
        const r = await ask();
        assert.equal(r.calls[0]!.tool, 'fs.read');
        assert.equal(r.calls[0]!.args, '{"path": "a"');
      });

      it('says when the output token limit cut the answer', async () => {
        fake.enqueue({ text: 'and then', maxTokens: true });
        const r = await ask();
        assert.equal(r.stopReason, 'max_tokens');
        assert.equal(r.text, 'and then');
      });
    });

    describe('what it sends', () => {
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
        const received = lastRequest();
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

      it('sends back a call whose arguments were not JSON as an object the API accepts', async () => {
        fake.enqueue({ text: 'fixed' });
        const r = await ask([
          { role: 'user', content: 'go' },
          { role: 'assistant', text: '', calls: [{ id: 'call_X', tool: 'fs.read', args: '{"path": "a"' }] },
          { role: 'tool', callId: 'call_X', tool: 'fs.read', content: 'arguments invalid', isError: true },
        ]);
        assert.equal(r.text, 'fixed');
        assert.deepEqual(lastRequest().toolCalls, [
          { id: 'call_X', name: 'fs_read', input: { unparsedArguments: '{"path": "a"' } },
        ]);
      });

      it("sends the role's output schema as the provider's structured-output setting", async () => {
        const outputSchema = {
          type: 'object',
          properties: { summary: { type: 'string' }, refund: { type: 'number' } },
          required: ['summary'],
          additionalProperties: false,
        };
        fake.enqueue({ text: '{"summary":"done"}' });
        const r = await model.turn({
          system: 's',
          messages: [{ role: 'user', content: 'go' }],
          tools,
          outputSchema,
        });
        assert.equal(r.text, '{"summary":"done"}');
        const sent = lastRequest().outputSchema as Record<string, unknown>;
        assert.deepEqual(sent.properties, outputSchema.properties);
        assert.deepEqual(sent.required, ['summary']);
        // Tools stay on offer next to the schema: the model may still call them before it answers.
        assert.deepEqual(lastRequest().toolNames.sort(), ['fs_read', 'fs_write']);
      });

      it('sends no schema when there is none, or when structured output is turned off', async () => {
        await ask();
        assert.equal(lastRequest().outputSchema, undefined);
        const plain = subject.model({ ...SETTINGS, structuredOutput: false });
        await plain.turn({
          system: 's',
          messages: [{ role: 'user', content: 'go' }],
          tools,
          outputSchema: { type: 'object' },
        });
        assert.equal(lastRequest().outputSchema, undefined);
      });

      it('sends the output token limit it is given', async () => {
        await model.turn({
          system: 's',
          messages: [{ role: 'user', content: 'go' }],
          tools,
          maxOutputTokens: 321,
        });
        const body = fake.requests.at(-1)!.body;
        assert.equal(body.max_tokens ?? body.max_output_tokens, 321);
      });

      it('sends an empty earlier answer as a placeholder, not as an empty message the API rejects', async () => {
        fake.enqueue({ text: 'ok' });
        const r = await ask([
          { role: 'user', content: 'go' },
          { role: 'assistant', text: '', calls: [] },
          { role: 'user', content: 'answer please' },
        ]);
        assert.equal(r.text, 'ok');
      });
    });

    describe('failures', () => {
      it('retries a 429 with retry-after: 0 and then succeeds', async () => {
        const from = fake.requests.length;
        fake.enqueue({ status: 429, retryAfter: 0, message: 'slow down' }, { text: 'after retry' });
        assert.equal((await ask()).text, 'after retry');
        assert.equal(since(from), 2);
      });

      it('waits as long as retry-after says before retrying', async () => {
        fake.enqueue({ status: 429, retryAfter: 1 }, { text: 'later' });
        const started = Date.now();
        assert.equal((await ask()).text, 'later');
        assert.ok(Date.now() - started >= 950, `retried after ${Date.now() - started} ms`);
      });

      it('honours retry-after-ms', async () => {
        fake.enqueue({ status: 503, retryAfterMs: 300 }, { text: 'later' });
        const started = Date.now();
        assert.equal((await ask()).text, 'later');
        assert.ok(Date.now() - started >= 290, `retried after ${Date.now() - started} ms`);
      });

      it('fails at once when retry-after asks for longer than it waits', async () => {
        const from = fake.requests.length;
        const started = Date.now();
        fake.enqueue({ status: 429, retryAfter: 3600, message: 'quota exhausted' });
        await assert.rejects(
          ask(),
          modelError((err) => assert.match(err.message, /HTTP 429.*quota exhausted.*retry after 3600 s/)),
        );
        assert.equal(since(from), 1);
        // Far under what any wait would take (up to 60 s); a bound this loose does not flake under load.
        assert.ok(Date.now() - started < 30_000);
      });

      it('gives up on a persistent 500 after the retries, naming the model and status, never the key', async () => {
        const from = fake.requests.length;
        const attempts = SETTINGS.maxRetries + 1;
        // Exactly `attempts` failures: one retry too many would get the default "ok" and resolve.
        fake.enqueue(...times(attempts, { status: 500, message: 'boom' }));
        await assert.rejects(
          ask(),
          modelError((err) => {
            assert.ok(err.message.includes(model.spec), err.message);
            assert.match(err.message, /HTTP 500 \S+: boom \(after 3 attempts\)/);
            assert.equal(err.details?.status, 500);
            assert.equal(err.details?.attempts, attempts);
            assert.equal(err.retryable, true, 'a 5xx may succeed later: a job-mode retry is worth it');
            assert.ok(!err.message.includes(subject.apiKey), err.message);
            assert.ok(err.cause, 'the provider error is chained');
          }),
        );
        assert.equal(since(from), attempts);
        assert.equal(fake.remaining(), 0);
        assert.equal(lastRequest().apiKey, subject.apiKey);
      });

      it('does not retry a 400, and says what the provider said', async () => {
        const from = fake.requests.length;
        fake.enqueue({ status: 400, message: 'bad request: messages is empty' });
        await assert.rejects(
          ask(),
          modelError((err) => {
            assert.match(err.message, /HTTP 400.*messages is empty/);
            assert.equal(err.retryable, false, 'a bad request fails the same way again');
          }),
        );
        assert.equal(since(from), 1);
      });

      it('keeps the key out of the error even when the provider echoes it', async () => {
        fake.enqueue({ status: 401, message: `invalid x-api-key: ${subject.apiKey}` });
        await assert.rejects(
          ask(),
          modelError((err) => {
            assert.match(err.message, /HTTP 401.*invalid x-api-key: \[redacted\]/);
            const everything = JSON.stringify({ m: err.message, d: err.details, c: String(err.cause) });
            assert.ok(!everything.includes(subject.apiKey), everything);
            const cause = err.cause as { responseBody?: string; message?: string };
            assert.ok(!String(cause.responseBody ?? '').includes(subject.apiKey));
          }),
        );
      });

      it('keeps the key out of the error when the provider echoes it encoded (base64, hex)', async () => {
        const key = subject.apiKey;
        const basic = Buffer.from(`user:${key}`).toString('base64');
        const hex = Buffer.from(key).toString('hex');
        const base64url = Buffer.from(`ab${key}`).toString('base64url');
        const echoes = [
          { status: 401, message: `rejected Authorization: Basic ${basic}` },
          { status: 400, message: `key dump ${hex} / ${hex.toUpperCase()}` },
          { status: 403, message: `token ${base64url} is not allowed` },
        ];
        for (const echo of echoes) {
          fake.enqueue(echo);
          await assert.rejects(
            ask(),
            modelError((err) => {
              assert.match(err.message, /\[redacted\]/, err.message);
              const everything = JSON.stringify({ m: err.message, d: err.details, c: String(err.cause) });
              for (const form of [basic.slice(8, -4), hex, hex.toUpperCase(), base64url.slice(4, -4)])
                assert.ok(!everything.includes(form), `${form} in ${everything}`);
            }),
          );
        }
        fake.enqueue({ streamError: { type: 'invalid_request_error', message: `bad key ${hex}` } });
        await assert.rejects(
          ask(),
          modelError((err) => {
            assert.match(err.message, /bad key \[redacted\]/, err.message);
            assert.ok(!JSON.stringify({ m: err.message, c: String(err.cause) }).includes(hex));
          }),
        );
      });

      it('retries an overload error sent inside the stream', async () => {
        const from = fake.requests.length;
        fake.enqueue(
          { streamError: { type: 'overloaded_error', message: 'Overloaded' } },
          { text: 'recovered' },
        );
        assert.equal((await ask()).text, 'recovered');
        assert.equal(since(from), 2);
      });

      it('fails with the provider message on a non-transient error inside the stream', async () => {
        const from = fake.requests.length;
        fake.enqueue({
          text: 'partial answer',
          streamError: { type: 'invalid_request_error', message: 'stream broke' },
        });
        await assert.rejects(
          ask(),
          modelError((err) => assert.match(err.message, /stream broke/)),
        );
        assert.equal(since(from), 1);
      });

      it('never takes a stream cut off before its end event for an answer: it retries', async () => {
        const from = fake.requests.length;
        fake.enqueue({ text: 'half an ans', cut: 'end' }, { text: 'the whole answer' });
        assert.equal((await ask()).text, 'the whole answer');
        assert.equal(since(from), 2);
      });

      it('fails when every attempt is cut off before its end event', async () => {
        fake.enqueue(...times(SETTINGS.maxRetries + 1, { text: 'half', cut: 'end' }));
        await assert.rejects(
          ask(),
          modelError((err) => assert.match(err.message, /stream ended before/)),
        );
        assert.equal(fake.remaining(), 0);
      });

      it('retries a connection reset in the middle of the stream', async () => {
        const from = fake.requests.length;
        fake.enqueue({ text: 'half', cut: 'reset' }, { text: 'the whole answer' });
        assert.equal((await ask()).text, 'the whole answer');
        assert.equal(since(from), 2);
      });

      it('times out a stalled stream, without retrying it', async () => {
        const from = fake.requests.length;
        const quick = subject.model({ ...SETTINGS, timeoutMs: 300 });
        fake.enqueue({ text: 'never arrives', stall: true });
        const started = Date.now();
        await assert.rejects(
          ask(undefined, quick),
          modelError((err) => assert.match(err.message, /within 300 ms/)),
        );
        // It gave up instead of waiting forever (the stream never ends); no tight window on how soon.
        assert.ok(Date.now() - started < 20_000, `${Date.now() - started} ms`);
        assert.equal(since(from), 1);
      });

      it('stops when the caller aborts, without retrying', async () => {
        const from = fake.requests.length;
        fake.enqueue({ text: 'never arrives', stall: true });
        const controller = new AbortController();
        setTimeout(() => controller.abort(), 100);
        await assert.rejects(
          ask(undefined, model, controller.signal),
          modelError((err) => assert.match(err.message, /cancelled/)),
        );
        assert.equal(since(from), 1);
      });

      it('stops waiting to retry when the caller aborts', async () => {
        // The longest wait it honours (60 s): the abort must cut it short, far under that.
        fake.enqueue({ status: 429, retryAfter: 60 });
        const controller = new AbortController();
        const from = fake.requests.length;
        const started = Date.now();
        const asked = ask(undefined, model, controller.signal);
        // Aborts once the 429 has been answered, not after a fixed time: on a loaded machine a fixed 100 ms
        // could end the request itself, before any wait to retry (seen once in CI, load average 24).
        await waitFor(async () => (since(from) === 1 ? true : undefined), 'the request that gets the 429');
        await delay(200);
        controller.abort();
        await assert.rejects(
          asked,
          modelError((err) => assert.match(err.message, /cancelled while waiting to retry after HTTP 429/)),
        );
        assert.ok(Date.now() - started < 30_000, `${Date.now() - started} ms`);
      });
    });
  });
}
