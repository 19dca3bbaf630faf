// From a model spec (`anthropic:claude-sonnet-4-5`) to a Model. Bad settings (no API key, a malformed spec,
// an executor whose CLI is not installed) fail here, before a run is recorded and before any side effect.
import { NightshiftError } from '../errors.js';
import { resolveExecutor } from '../executors/resolve.js';
import type { Executor } from '../executors/types.js';
import type { ProviderModelSettings } from './ai-sdk/model.js';
import { createAnthropicModel } from './anthropic/index.js';
import { createOpenAIChatModel, createOpenAICompatibleModel, createOpenAIModel } from './openai/index.js';
import type { PriceTable } from './pricing.js';
import { createScriptedModel } from './script/index.js';
import type { Model } from './types.js';

export interface ProviderSettings {
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
}

/** The `models:` section of nightshift.config.yaml (and the runtime's `models` option). */
export interface ModelSettings {
  anthropic?: ProviderSettings | undefined;
  openai?: ProviderSettings | undefined;
  /** USD per million tokens by model spec, overriding the defaults (see pricing.ts). */
  prices?: PriceTable | undefined;
  /** Per request attempt. Default 120 s. */
  timeoutMs?: number | undefined;
  /** Retries on 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** First backoff step in ms. Default 500. */
  retryBaseMs?: number | undefined;
  /** Send a role's output schema to the provider (structured output). Default true. */
  structuredOutput?: boolean | undefined;
}

export interface ResolveModelOptions {
  /** Where API keys and base URLs are read from. Default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  config?: ModelSettings | undefined;
}

const FORMS =
  'script:<file>, anthropic:<model-id>, openai:<model-id>, openai-chat:<model-id> or ' +
  'openai-compatible:<model-id>@<base-url> ' +
  '(e.g. anthropic:claude-sonnet-4-5, openai-compatible:llama3@http://127.0.0.1:11434/v1), ' +
  'or an executor: claude-code:<model-id> or codex:<model-id>';

/**
 * The Model an executor stands behind: it carries the spec into the run record and the executor to the
 * engine. It has no turns of its own; asking it for one is a bug in the caller, so it says so.
 */
function executorModel(executor: Executor): Model {
  return {
    spec: executor.spec,
    provider: executor.name,
    executor,
    turn: () =>
      Promise.reject(
        new NightshiftError('INTERNAL', `${executor.spec} is an executor: it runs whole sessions, not turns`),
      ),
  };
}

function apiKey(
  spec: string,
  variable: string,
  configKey: string,
  configured: string | undefined,
  env: NodeJS.ProcessEnv,
): string {
  const key = configured?.trim() || env[variable]?.trim();
  if (!key) {
    throw new NightshiftError(
      'MODEL_CONFIG',
      `model ${spec} needs ${variable}: set it in the environment (or pass ${configKey} to createRuntime; API keys do not belong in nightshift.config.yaml)`,
      // Lets `nightshift validate` tell a key missing here (a warning) from a spec that can never work.
      { details: { problem: 'missing_key', variable } },
    );
  }
  return key;
}

function notASpec(spec: string, why: string): NightshiftError {
  return new NightshiftError('MODEL_CONFIG', `model '${spec}' ${why}; expected ${FORMS}`);
}

/**
 * Builds the Model a spec names, checking what can be checked without a request: the spec's form and the API
 * key. The provider packages load on the first turn.
 *
 * @example
 * const model = resolveModel('anthropic:claude-sonnet-4-5', { env: process.env });
 * const scripted = resolveModel('script:./roles/triage.script.yaml');
 */
export function resolveModel(spec: string, options: ResolveModelOptions = {}): Model {
  const env = options.env ?? process.env;
  const config = options.config ?? {};
  const colon = spec.indexOf(':');
  if (colon <= 0) throw notASpec(spec, 'has no provider');
  const provider = spec.slice(0, colon);
  const id = spec.slice(colon + 1).trim();
  if (id === '') throw notASpec(spec, 'has no model id after the colon');
  const common: ProviderModelSettings = {
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    retryBaseMs: config.retryBaseMs,
    prices: config.prices,
    structuredOutput: config.structuredOutput,
  };
  switch (provider) {
    case 'script':
      return createScriptedModel(id);
    case 'anthropic':
      return createAnthropicModel(id, {
        ...common,
        apiKey: apiKey(spec, 'ANTHROPIC_API_KEY', 'models.anthropic.apiKey', config.anthropic?.apiKey, env),
        baseUrl: config.anthropic?.baseUrl || env.ANTHROPIC_BASE_URL || undefined,
      });
    case 'openai':
    case 'openai-chat': {
      // One key and base URL for both OpenAI protocols: Responses (openai:) and Chat Completions (openai-chat:).
      const settings = {
        ...common,
        apiKey: apiKey(spec, 'OPENAI_API_KEY', 'models.openai.apiKey', config.openai?.apiKey, env),
        baseUrl: config.openai?.baseUrl || env.OPENAI_BASE_URL || undefined,
      };
      return provider === 'openai' ? createOpenAIModel(id, settings) : createOpenAIChatModel(id, settings);
    }
    case 'openai-compatible': {
      const at = id.lastIndexOf('@');
      const modelId = at > 0 ? id.slice(0, at) : '';
      const url = at > 0 ? id.slice(at + 1) : '';
      if (!modelId || !/^https?:\/\/[^/\s]+/.test(url)) {
        throw notASpec(spec, 'needs the form openai-compatible:<model-id>@<http(s) base URL>');
      }
      // Local servers usually take no key; one in OPENAI_COMPATIBLE_API_KEY is sent when set.
      return createOpenAICompatibleModel(modelId, url, {
        ...common,
        apiKey: env.OPENAI_COMPATIBLE_API_KEY?.trim() || undefined,
      });
    }
    case 'claude-code':
    case 'codex':
      return executorModel(
        resolveExecutor(provider, spec, id, {
          env,
          anthropic: config.anthropic,
          openai: config.openai,
          prices: config.prices,
        }),
      );
    default:
      throw notASpec(spec, `names an unknown provider '${provider}'`);
  }
}
