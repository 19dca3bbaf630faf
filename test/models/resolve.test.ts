// Bad model settings fail at resolve time, before anything runs, with a message that says what to do.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveModel } from '../../src/models/resolve.js';
import { toolNameMap } from '../../src/models/tool-names.js';

describe('resolveModel', () => {
  it('needs the provider key', async () => {
    await assert.rejects(resolveModel('anthropic:claude-sonnet-4-5', { env: {} }), {
      code: 'MODEL_CONFIG',
      message: /ANTHROPIC_API_KEY/,
    });
    await assert.rejects(resolveModel('openai:gpt-5', { env: { OPENAI_API_KEY: ' ' } }), {
      code: 'MODEL_CONFIG',
      message: /OPENAI_API_KEY/,
    });
  });

  it('rejects malformed specs and unknown providers', async () => {
    for (const spec of [
      'gpt-4',
      'anthropic:',
      'mystery:model',
      'openai-compatible:llama3',
      'openai-compatible:llama3@ftp://x',
    ]) {
      await assert.rejects(resolveModel(spec, { env: {} }), { code: 'MODEL_CONFIG' }, spec);
    }
  });

  it('refuses executors this version does not have', async () => {
    await assert.rejects(resolveModel('claude-code:sonnet', { env: {} }), {
      code: 'MODEL_CONFIG',
      message: /not available/,
    });
    await assert.rejects(resolveModel('codex:gpt-5', { env: {} }), {
      code: 'MODEL_CONFIG',
      message: /not available/,
    });
  });
});

describe('tool name mapping', () => {
  it('maps dotted names to provider-safe ones and back, disambiguating collisions', () => {
    const map = toolNameMap(['fs.read', 'fs_read', 'a.b-c']);
    assert.equal(map.toProvider('fs.read'), 'fs_read');
    assert.equal(map.toProvider('fs_read'), 'fs_read_2');
    assert.equal(map.fromProvider('fs_read'), 'fs.read');
    assert.equal(map.fromProvider('fs_read_2'), 'fs_read');
    assert.equal(map.fromProvider('a_b-c'), 'a.b-c');
    for (const n of ['fs.read', 'fs_read', 'a.b-c']) assert.match(map.toProvider(n), /^[a-zA-Z0-9_-]{1,64}$/);
  });

  it('leaves a name the model made up as it is, so the policy denies it by that name', () => {
    assert.equal(toolNameMap(['fs.read']).fromProvider('rm_rf'), 'rm_rf');
  });
});
