// Bad model settings fail at resolve time, before anything runs, with a message that says what to do;
// good ones reach the endpoint the config or the environment names.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { resolveModel } from '../../src/models/resolve.js';
import { startFakeAnthropic } from '../support/fake-anthropic.js';
import type { FakeServer } from '../support/fake-llm.js';
import { startFakeOpenAI } from '../support/fake-openai.js';
import { startFakeOpenAIResponses } from '../support/fake-openai-responses.js';
import { fixtures } from '../support/paths.js';

const hi = { system: 's', messages: [{ role: 'user' as const, content: 'hi' }], tools: [] };

function configError(message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof NightshiftError, String(err));
    assert.equal(err.code, 'MODEL_CONFIG');
    assert.match(err.message, message);
    return true;
  };
}

describe('resolveModel', () => {
  it('needs the provider key, and says where to set it', () => {
    assert.throws(
      () => resolveModel('anthropic:claude-sonnet-4-5', { env: {} }),
      configError(
        /^model anthropic:claude-sonnet-4-5 needs ANTHROPIC_API_KEY: set it in the environment \(or pass models\.anthropic\.apiKey to createRuntime; API keys do not belong in nightshift\.config\.yaml\)$/,
      ),
    );
    assert.throws(
      () => resolveModel('openai:gpt-5', { env: {} }),
      configError(/^model openai:gpt-5 needs OPENAI_API_KEY: .*models\.openai\.apiKey/),
    );
    assert.throws(
      () => resolveModel('openai:gpt-5', { env: { OPENAI_API_KEY: ' ' } }),
      configError(/OPENAI_API_KEY/),
    );
    // The other provider's key does not count.
    assert.throws(
      () => resolveModel('anthropic:claude-sonnet-4-5', { env: { OPENAI_API_KEY: 'k' } }),
      configError(/ANTHROPIC_API_KEY/),
    );
  });

  it('takes the key from the config instead of the environment', () => {
    const model = resolveModel('anthropic:claude-sonnet-4-5', {
      env: {},
      config: { anthropic: { apiKey: 'k' } },
    });
    assert.equal(model.spec, 'anthropic:claude-sonnet-4-5');
  });

  it('needs no key for an openai-compatible server', () => {
    const model = resolveModel('openai-compatible:llama3@http://127.0.0.1:11434/v1', { env: {} });
    assert.equal(model.spec, 'openai-compatible:llama3@http://127.0.0.1:11434/v1');
    assert.equal(model.provider, 'openai-compatible');
  });

  it('rejects malformed specs and unknown providers, listing the forms it takes', () => {
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
      assert.throws(
        () => resolveModel(spec, { env: { OPENAI_API_KEY: 'k', ANTHROPIC_API_KEY: 'k' } }),
        configError(
          /expected script:<file>, anthropic:<model-id>, openai:<model-id>, openai-chat:<model-id> or openai-compatible:/,
        ),
        spec,
      );
    }
  });

  it('refuses a base URL that is not an http(s) URL, naming where it came from', () => {
    const key = { ANTHROPIC_API_KEY: 'k', OPENAI_API_KEY: 'k' };
    assert.throws(
      () =>
        resolveModel('anthropic:claude-sonnet-4-5', {
          env: { ...key, ANTHROPIC_BASE_URL: '127.0.0.1:8787' },
        }),
      configError(
        /^model anthropic:claude-sonnet-4-5: ANTHROPIC_BASE_URL is not an http\(s\) URL \("127\.0\.0\.1:8787"\)/,
      ),
    );
    assert.throws(
      () => resolveModel('openai-chat:gpt-4.1', { env: { ...key, OPENAI_BASE_URL: 'not a url' } }),
      configError(/OPENAI_BASE_URL is not an http\(s\) URL/),
    );
    // An API key pasted into the base URL's variable is not printed back.
    assert.throws(
      () =>
        resolveModel('openai-chat:gpt-4.1', {
          env: { ...key, OPENAI_BASE_URL: 'sk-proj-Abc123Def456Ghi789Jkl012' },
        }),
      (err: Error) => {
        assert.match(err.message, /OPENAI_BASE_URL is not an http\(s\) URL;/);
        assert.doesNotMatch(err.message, /Abc123/);
        return true;
      },
    );
    assert.throws(
      () =>
        resolveModel('openai:gpt-5', {
          env: key,
          config: { openai: { baseUrl: 'ftp://user:secret@host/v1' } },
        }),
      (err: Error) => {
        assert.match(err.message, /models\.openai\.baseUrl is not an http\(s\) URL;/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      },
    );
    // Surrounding blanks (a variable pasted with its newline) are not a fault.
    resolveModel('openai:gpt-5', { env: { ...key, OPENAI_BASE_URL: ' http://127.0.0.1:1/v1\n' } });
  });

  it('builds the scripted model from a script: spec', async () => {
    const model = resolveModel(`script:${fixtures('roles', 'refund-desk', 'roles', 'refund.script.yaml')}`);
    assert.equal(model.provider, 'script');
  });

  it('takes a custom:<name> model from models.custom, and says how to give one when it is not there', async () => {
    const mine = resolveModel(`script:${fixtures('roles', 'refund-desk', 'roles', 'refund.script.yaml')}`);
    const given = resolveModel('custom:mine', { config: { custom: { mine } } });
    // Recorded as the role names it, the object's own provider kept (here 'script': its output is scripted).
    assert.equal(given.spec, 'custom:mine');
    assert.equal(given.provider, 'script');
    assert.throws(
      () => resolveModel('custom:other', { config: { custom: { mine } } }),
      configError(/custom:other names no model given to createRuntime: .*models: \{ custom: .*given: mine/),
    );
    assert.throws(() => resolveModel('custom:mine'), configError(/none given/));
    // Only own keys: a name inherited from Object.prototype is no model.
    assert.throws(() => resolveModel('custom:toString', { config: { custom: {} } }), configError(/toString/));
  });
});

describe('resolveModel endpoints', () => {
  let anthropic: FakeServer;
  let openai: FakeServer;
  let chat: FakeServer;
  before(async () => {
    chat = await startFakeOpenAI();
    anthropic = await startFakeAnthropic();
    openai = await startFakeOpenAIResponses();
  });
  after(async () => {
    await anthropic.close();
    await openai.close();
    await chat.close();
  });

  it('honours ANTHROPIC_BASE_URL, with or without /v1 and a trailing slash', async () => {
    for (const url of [anthropic.url, `${anthropic.url}/`, `${anthropic.url}/v1`, `${anthropic.url}/v1/`]) {
      const from = anthropic.requests.length;
      const model = resolveModel('anthropic:claude-sonnet-4-5', {
        env: { ANTHROPIC_API_KEY: 'env-key', ANTHROPIC_BASE_URL: url },
      });
      assert.equal((await model.turn(hi)).text, 'ok', url);
      assert.equal(anthropic.requests.length, from + 1, url);
      assert.equal(anthropic.requests.at(-1)!.path, '/v1/messages', url);
      assert.equal(anthropic.read(anthropic.requests.at(-1)!).apiKey, 'env-key');
    }
  });

  it('honours OPENAI_BASE_URL, for the Responses API (openai:) and Chat Completions (openai-chat:)', async () => {
    for (const [spec, fake, path] of [
      ['openai:gpt-5', openai, '/v1/responses'],
      ['openai-chat:gpt-5', chat, '/v1/chat/completions'],
    ] as const) {
      const from = fake.requests.length;
      const model = resolveModel(spec, {
        env: { OPENAI_API_KEY: 'env-key', OPENAI_BASE_URL: `${fake.url}/` },
      });
      assert.equal((await model.turn(hi)).text, 'ok');
      assert.equal(fake.requests.length, from + 1);
      assert.equal(fake.requests.at(-1)!.path, path);
      assert.equal(fake.read(fake.requests.at(-1)!).apiKey, 'env-key');
      assert.equal(model.priced, true, `${spec} is priced as openai:gpt-5`);
    }
  });

  it('prefers the config file to the environment for key and base URL', async () => {
    const model = resolveModel('anthropic:claude-sonnet-4-5', {
      env: { ANTHROPIC_API_KEY: 'env-key', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
      config: { anthropic: { apiKey: 'config-key', baseUrl: anthropic.url } },
    });
    await model.turn(hi);
    assert.equal(anthropic.read(anthropic.requests.at(-1)!).apiKey, 'config-key');
    const gpt = resolveModel('openai:gpt-5', {
      env: { OPENAI_API_KEY: 'env-key', OPENAI_BASE_URL: 'http://127.0.0.1:1/v1' },
      config: { openai: { baseUrl: openai.url } },
    });
    await gpt.turn(hi);
    assert.equal(openai.read(openai.requests.at(-1)!).apiKey, 'env-key');
  });

  it('fails a turn with MODEL_ERROR naming the model when the base URL does not answer', async () => {
    const model = resolveModel('anthropic:claude-sonnet-4-5', {
      env: { ANTHROPIC_API_KEY: 'env-key-123456', ANTHROPIC_BASE_URL: 'http://127.0.0.1:1' },
      config: { maxRetries: 1, retryBaseMs: 1 },
    });
    await assert.rejects(model.turn(hi), (err: NightshiftError) => {
      assert.equal(err.code, 'MODEL_ERROR');
      assert.match(
        err.message,
        /^model anthropic:claude-sonnet-4-5 failed: Cannot connect to API.*\(after 2 attempts\)$/,
      );
      assert.ok(!err.message.includes('env-key-123456'));
      return true;
    });
  });
});
