// Executor specs fail at resolve time, before a run is recorded, when the CLI or the key is missing, with
// a message that names the package to install and the variable that points at it.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { resolveAgent, resolveModel } from '../../src/models/resolve.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-executor-resolve-');
after(() => tmp.cleanup());

/** A folder that looks like an installed Agent SDK with its platform binary next to it. */
function fakeSdk(): string {
  const scope = join(tmp.path, 'node_modules', '@anthropic-ai');
  const sdk = join(scope, 'claude-agent-sdk');
  mkdirSync(sdk, { recursive: true });
  writeFileSync(join(sdk, 'package.json'), '{"name":"@anthropic-ai/claude-agent-sdk"}');
  mkdirSync(join(scope, `claude-agent-sdk-${process.platform}-${process.arch}`), { recursive: true });
  writeFileSync(join(scope, `claude-agent-sdk-${process.platform}-${process.arch}`, 'claude'), '');
  return sdk;
}

function fakeCodex(): string {
  const file = join(tmp.path, 'codex');
  writeFileSync(file, '');
  return file;
}

function failsWith(code: string, message: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof NightshiftError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  };
}

describe('resolving claude-code:<model>', () => {
  it('names the package and the variable when the SDK is not installed', () => {
    assert.throws(
      () =>
        resolveAgent('claude-code:claude-sonnet-4-5', {
          env: { ANTHROPIC_API_KEY: 'k', NIGHTSHIFT_CLAUDE_SDK: join(tmp.path, 'nothing') },
        }),
      failsWith(
        'EXECUTOR_UNAVAILABLE',
        /NIGHTSHIFT_CLAUDE_SDK=.* is not the folder of the @anthropic-ai\/claude-agent-sdk/,
      ),
    );
  });

  it('says so when NIGHTSHIFT_CLAUDE_PATH points at nothing', () => {
    assert.throws(
      () =>
        resolveAgent('claude-code:claude-sonnet-4-5', {
          env: {
            ANTHROPIC_API_KEY: 'k',
            NIGHTSHIFT_CLAUDE_SDK: fakeSdk(),
            NIGHTSHIFT_CLAUDE_PATH: '/no/claude',
          },
        }),
      failsWith('EXECUTOR_UNAVAILABLE', /NIGHTSHIFT_CLAUDE_PATH=\/no\/claude does not exist/),
    );
  });

  it('needs ANTHROPIC_API_KEY', () => {
    assert.throws(
      () => resolveAgent('claude-code:claude-sonnet-4-5', { env: { NIGHTSHIFT_CLAUDE_SDK: fakeSdk() } }),
      failsWith('MODEL_CONFIG', /needs ANTHROPIC_API_KEY/),
    );
  });

  it('gives the executor, which is not a model: resolveModel refuses the spec', () => {
    const env = { ANTHROPIC_API_KEY: 'k', NIGHTSHIFT_CLAUDE_SDK: fakeSdk() };
    const agent = resolveAgent('claude-code:claude-sonnet-4-5', { env });
    assert.ok(agent.kind === 'executor');
    assert.equal(agent.executor.spec, 'claude-code:claude-sonnet-4-5');
    assert.equal(agent.executor.name, 'claude-code');
    assert.equal(agent.executor.modelId, 'claude-sonnet-4-5');
    assert.throws(
      () => resolveModel('claude-code:claude-sonnet-4-5', { env }),
      failsWith('MODEL_CONFIG', /names an executor/),
    );
  });
});

describe('resolving codex:<model>', () => {
  it('names the package and the variable when the CLI is not installed', () => {
    assert.throws(
      () => resolveAgent('codex:gpt-5', { env: { OPENAI_API_KEY: 'k', PATH: '' } }),
      failsWith('EXECUTOR_UNAVAILABLE', /npm install @openai\/codex@0\.169\.0.*NIGHTSHIFT_CODEX_PATH/),
    );
  });

  it('refuses a NIGHTSHIFT_CODEX_PATH that is missing or relative', () => {
    for (const path of ['/no/codex', 'codex']) {
      assert.throws(
        () => resolveAgent('codex:gpt-5', { env: { OPENAI_API_KEY: 'k', NIGHTSHIFT_CODEX_PATH: path } }),
        failsWith(
          'EXECUTOR_UNAVAILABLE',
          /NIGHTSHIFT_CODEX_PATH=.* is not an absolute path to a codex executable/,
        ),
      );
    }
  });

  it('needs OPENAI_API_KEY', () => {
    assert.throws(
      () => resolveAgent('codex:gpt-5', { env: { NIGHTSHIFT_CODEX_PATH: fakeCodex() } }),
      failsWith('MODEL_CONFIG', /needs OPENAI_API_KEY/),
    );
  });

  it('gives the executor', () => {
    const agent = resolveAgent('codex:gpt-5', {
      env: { OPENAI_API_KEY: 'k', NIGHTSHIFT_CODEX_PATH: fakeCodex() },
    });
    assert.ok(agent.kind === 'executor');
    assert.equal(agent.executor.name, 'codex');
    assert.equal(agent.executor.spec, 'codex:gpt-5');
  });
});

describe('an unknown executor or provider', () => {
  it('is refused with the forms that exist', () => {
    assert.throws(
      () => resolveAgent('claude-desktop:sonnet', { env: {} }),
      failsWith(
        'MODEL_CONFIG',
        /unknown provider 'claude-desktop'.*claude-code:<model-id> or codex:<model-id>/,
      ),
    );
  });
});
