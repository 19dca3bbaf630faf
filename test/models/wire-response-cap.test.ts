// The cap on a provider answer's size (maxResponseBytes), against loopback servers that never stop: an
// event stream of text deltas without end for each protocol (Anthropic Messages, OpenAI Responses, Chat
// Completions), a giant 200 body that is no event stream, and a giant error body. Each fails the turn with
// MODEL_RESPONSE_TOO_LARGE after one attempt (a retry would get the same flood), the connection is closed,
// and a run whose model does it fails for good (job-mode retries do not take it as transient).
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { ProjectConfigSpec } from '../../src/config/project.js';
import { isTransient } from '../../src/engine/run-retry.js';
import { createAnthropicModel } from '../../src/models/anthropic/index.js';
import {
  createOpenAIChatModel,
  createOpenAICompatibleModel,
  createOpenAIModel,
} from '../../src/models/openai/index.js';
import type { Model } from '../../src/models/types.js';
import { createRuntime } from '../../src/runtime.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const ask = { system: 'be brief', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };
const CAP = 256 * 1024;
const piece = 'x'.repeat(4000);

const deltas = {
  chat: `data: {"model":"m","choices":[{"index":0,"delta":{"content":"${piece}"}}]}\n\n`,
  responses: `event: response.output_text.delta\ndata: {"type":"response.output_text.delta","delta":"${piece}"}\n\n`,
  anthropic: `event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"${piece}"}}\n\n`,
};

/**
 * A server that answers each POST with `status`, `type` and `chunk` written again and again for as long as
 * the client reads (backpressure respected): it never ends the body. Counts requests and closed answers.
 */
async function endlessServer(status: number, type: string, chunk: string) {
  const seen = { requests: 0, closed: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    seen.requests++;
    req.resume();
    res.writeHead(status, { 'content-type': type });
    let open = true;
    res.on('close', () => {
      open = false;
      seen.closed++;
    });
    const pump = () => {
      while (open && res.write(chunk)) seen.bytes += chunk.length;
      if (open) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

// A backstop only: without the cap the turn would run until this timeout (and fail as MODEL_ERROR).
const settings = { apiKey: 'k', retryBaseMs: 1, maxRetries: 2, timeoutMs: 15_000, maxResponseBytes: CAP };

async function assertTooLarge(model: Model, server: Awaited<ReturnType<typeof endlessServer>>) {
  await assert.rejects(
    model.turn(ask),
    (err: Error & { code?: string; retryable?: boolean; details?: { attempts?: number } }) => {
      assert.equal(err.code, 'MODEL_RESPONSE_TOO_LARGE', err.message);
      assert.equal(err.retryable, false);
      assert.equal(err.details?.attempts, 1, 'not retried');
      assert.match(err.message, new RegExp(`passed ${CAP} bytes \\(maxResponseBytes\\)`));
      return true;
    },
  );
  assert.equal(server.seen.requests, 1, 'one request: the flood is not asked for again');
  // The connection is let go, not left streaming into a buffer nobody reads.
  for (let i = 0; i < 200 && server.seen.closed < 1; i++) await new Promise((r) => setTimeout(r, 25));
  assert.equal(server.seen.closed, 1);
}

describe('maxResponseBytes', () => {
  it('Chat Completions: an endless stream of deltas fails the turn once past the cap', async () => {
    const server = await endlessServer(200, 'text/event-stream', deltas.chat);
    try {
      await assertTooLarge(createOpenAIChatModel('m', { ...settings, baseUrl: `${server.url}/v1` }), server);
    } finally {
      await server.close();
    }
  });

  it('OpenAI Responses: an endless stream of deltas fails the turn once past the cap', async () => {
    const server = await endlessServer(200, 'text/event-stream', deltas.responses);
    try {
      await assertTooLarge(createOpenAIModel('m', { ...settings, baseUrl: `${server.url}/v1` }), server);
    } finally {
      await server.close();
    }
  });

  it('Anthropic Messages: an endless stream of deltas fails the turn once past the cap', async () => {
    const server = await endlessServer(200, 'text/event-stream', deltas.anthropic);
    try {
      await assertTooLarge(createAnthropicModel('m', { ...settings, baseUrl: server.url }), server);
    } finally {
      await server.close();
    }
  });

  it('a giant 200 body that is no event stream (one line without end) is cut off the same way', async () => {
    const server = await endlessServer(200, 'application/json', `{"choices":[{"text":"${piece}`);
    try {
      await assertTooLarge(createOpenAICompatibleModel('m', `${server.url}/v1`, settings), server);
    } finally {
      await server.close();
    }
  });

  it('a giant error body (a 503, which is otherwise retried) is cut off and not retried', async () => {
    const server = await endlessServer(503, 'text/html', `<p>${piece}</p>`);
    try {
      await assertTooLarge(createOpenAIChatModel('m', { ...settings, baseUrl: `${server.url}/v1` }), server);
    } finally {
      await server.close();
    }
  });

  it('a run whose model floods fails with MODEL_RESPONSE_TOO_LARGE, not a transient failure', async () => {
    const server = await endlessServer(200, 'text/event-stream', deltas.chat);
    const r = role({
      name: 'test-flooded',
      autonomy: 'observe',
      turns: [],
      extra: { model: `openai-compatible:m@${server.url}/v1` },
    });
    const rt = await createRuntime({
      dataDir: r.dataDir,
      models: { maxResponseBytes: CAP, retryBaseMs: 1, timeoutMs: 15_000 },
    });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'failed');
      const error = (await rt.get(result.runId))!.run.error!;
      assert.equal(error.code, 'MODEL_RESPONSE_TOO_LARGE');
      assert.equal(error.retryable, false);
      assert.equal(isTransient(error), false, 'job-mode retries leave it failed');
      assert.equal(server.seen.requests, 1);
    } finally {
      await rt.close();
      await server.close();
    }
  });

  it('models.maxResponseBytes in nightshift.config.yaml is checked: a whole number, 64 KiB to 1 GiB', () => {
    assert.equal(ProjectConfigSpec.safeParse({ models: { maxResponseBytes: 1 << 20 } }).success, true);
    for (const bad of [0, 1024, 1.5, 2 ** 31, '32MiB']) {
      const parsed = ProjectConfigSpec.safeParse({ models: { maxResponseBytes: bad } });
      assert.equal(parsed.success, false, String(bad));
      assert.deepEqual(parsed.error!.issues[0]!.path, ['models', 'maxResponseBytes']);
    }
  });
});
