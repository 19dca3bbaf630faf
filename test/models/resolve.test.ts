// Bad model settings fail at resolve time, before anything runs, with a message that says what to do;
// good ones reach the endpoint the environment or the config names.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveModel } from '../../src/models/resolve.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { startFakeOpenAI } from '../support/fake-openai.js';

const hi = { system: 's', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

describe('resolveModel', () => {
  it('needs the provider key, and names the variable to set', async () => {
    await assert.rejects(resolveModel('anthropic:claude-sonnet-4-5', { env: {} }), {
      code: 'MODEL_CONFIG',
      message: /ANTHROPIC_API_KEY/,
    });
    await assert.rejects(resolveModel('openai:gpt-5', { env: {} }), {
      code: 'MODEL_CONFIG',
      message: /OPENAI_API_KEY/,
    });
    await assert.rejects(resolveModel('openai:gpt-5', { env: { OPENAI_API_KEY: ' ' } }), {
      code: 'MODEL_CONFIG',
      message: /OPENAI_API_KEY/,
    });
    // The other provider's key does not count.
    await assert.rejects(resolveModel('anthropic:claude-sonnet-4-5', { env: { OPENAI_API_KEY: 'k' } }), {
      code: 'MODEL_CONFIG',
      message: /ANTHROPIC_API_KEY/,
    });
  });

  it('rejects malformed specs and unknown providers', async () => {
    for (const spec of [
      '',
      'gpt-4',
      ':gpt-4',
      'anthropic:',
      'anthropic:   ',
      'mystery:model',
      'openai-compatible:llama3',
      'openai-compatible:@http://127.0.0.1:1/v1',
      'openai-compatible:llama3@ftp://x',
      'openai-compatible:llama3@127.0.0.1:11434',
    ]) {
      await assert.rejects(
        resolveModel(spec, { env: { OPENAI_API_KEY: 'k' } }),
        { code: 'MODEL_CONFIG' },
        spec,
      );
    }
  });

  it('refuses executors this version does not have', async () => {
    for (const spec of ['claude-code:sonnet', 'codex:gpt-5']) {
      await assert.rejects(
        resolveModel(spec, { env: { ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k' } }),
        { code: 'MODEL_CONFIG', message: /not available/ },
        spec,
      );
    }
  });
});

describe('resolveModel endpoints', () => {
  let anthropic: FakeServer;
  let openai: FakeServer;
  before(async () => {
    anthropic = await startFakeAnthropic();
    openai = await startFakeOpenAI();
  });
  after(async () => {
    await anthropic.close();
    await openai.close();
  });

  it('honours ANTHROPIC_BASE_URL, with or without /v1 and a trailing slash', async () => {
    for (const url of [anthropic.url, `${anthropic.url}/`, `${anthropic.url}/v1`, `${anthropic.url}/v1/`]) {
      const from = anthropic.requests.length;
      const model = await resolveModel('anthropic:claude-sonnet-4-5', {
        env: { ANTHROPIC_API_KEY: 'env-key', ANTHROPIC_BASE_URL: url },
      });
      assert.equal((await model.turn(hi)).text, 'ok', url);
      assert.equal(anthropic.requests.length, from + 1, url);
      assert.equal(anthropic.requests.at(-1)!.path, '/v1/messages', url);
      assert.equal(anthropic.read(anthropic.requests.at(-1)!).apiKey, 'env-key');
    }
  });

  it('honours OPENAI_BASE_URL', async () => {
    const from = openai.requests.length;
    const model = await resolveModel('openai:gpt-5', {
      env: { OPENAI_API_KEY: 'env-key', OPENAI_BASE_URL: `${openai.url}/` },
    });
    assert.equal((await model.turn(hi)).text, 'ok');
    assert.equal(openai.requests.length, from + 1);
    assert.equal(openai.read(openai.requests.at(-1)!).apiKey, 'env-key');
  });

  it('prefers the config file to the environment for key and base URL', async () => {
    const model = await resolveModel('anthropic:claude-sonnet-4-5', {
      env: { ANTHROPIC_API_KEY: 'env-key', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
      config: { anthropic: { apiKey: 'config-key', baseUrl: anthropic.url } },
    });
    await model.turn(hi);
    assert.equal(anthropic.read(anthropic.requests.at(-1)!).apiKey, 'config-key');
  });
});
