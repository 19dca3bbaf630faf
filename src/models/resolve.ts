// From a model spec (`anthropic:claude-sonnet-4-5`) to what runs a role's turns: a Model, or an Executor for
// `claude-code:` / `codex:`. Bad settings (no API key, a malformed spec, an executor whose CLI is not
// installed) fail here, before a run is recorded and before any side effect.
import { NightshiftError } from '../errors.js';
import { resolveExecutor } from '../executors/resolve.js';
import { EXECUTOR_NAMES, type Executor, type ExecutorName } from '../executors/types.js';
import { createAnthropicModel } from './anthropic/index.js';
import { customModel } from './custom-model.js';
import { createOpenAIChatModel, createOpenAICompatibleModel, createOpenAIModel } from './openai/index.js';
import type { PriceTable } from './pricing.js';
import { createScriptedModel } from './script/index.js';
import type { Model } from './types.js';
import { shownSpec } from './wire/endpoint.js';
import type { ProviderModelSettings } from './wire/model.js';

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
  /** The most bytes one answer may send. Default 32 MiB. */
  maxResponseBytes?: number | undefined;
  /** Retries on 429 and 5xx. Default 2. */
  maxRetries?: number | undefined;
  /** First backoff step in ms. Default 500. */
  retryBaseMs?: number | undefined;
  /** Send a role's output schema to the provider (structured output). Default true. */
  structuredOutput?: boolean | undefined;
  /**
   * Models the library user built (any object implementing `Model`), by name: a role whose `model:` is
   * `custom:<name>` takes its turns from `custom[name]`. Library only: nightshift.config.yaml cannot name
   * one, so the CLI refuses a `custom:` model with MODEL_CONFIG.
   *
   * @example
   * createRuntime({ models: { custom: { echo: echoModel } } }); // a role with model: custom:echo
   */
  custom?: Readonly<Record<string, Model>> | undefined;
}

export interface ResolveModelOptions {
  /** Where API keys and base URLs are read from. Default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
  config?: ModelSettings | undefined;
}

const FORMS =
  'script:<file>, anthropic:<model-id>, openai:<model-id>, openai-chat:<model-id> or ' +
  'openai-compatible:<model-id>@<base-url>, custom:<name> (a Model given to createRuntime in models.custom) ' +
  '(e.g. anthropic:claude-sonnet-4-5, openai-compatible:llama3@http://127.0.0.1:11434/v1), ' +
  'or an executor: claude-code:<model-id> or codex:<model-id>';

/**
 * What a role's `model:` spec names: a Model, whose turns nightshift's own loop takes, or an Executor, an
 * agent CLI that runs a whole session itself (the engine switches on `kind`).
 */
export type Agent =
  | { readonly kind: 'model'; readonly model: Model }
  | { readonly kind: 'executor'; readonly executor: Executor };

/** The spec an agent was made from, as runs record it. */
export function agentSpec(agent: Agent): string {
  return agent.kind === 'model' ? agent.model.spec : agent.executor.spec;
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

/**
 * The provider's base URL, from the config or else the environment, checked to be an http(s) URL. A bad one
 * (`127.0.0.1:8787` without its scheme, a typo) used to pass and fail every turn with a bare "Invalid URL",
 * after the run had been recorded; it is a misconfiguration like a missing key.
 */
function baseUrl(
  spec: string,
  variable: string,
  configKey: string,
  configured: string | undefined,
  env: NodeJS.ProcessEnv,
): string | undefined {
  const fromConfig = configured?.trim();
  const value = fromConfig || env[variable]?.trim() || undefined;
  if (value === undefined) return undefined;
  let ok = false;
  try {
    const url = new URL(value);
    ok = url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    ok = false;
  }
  if (!ok) {
    // Echoed only when it reads as an address (a host's dot or colon, no `user:password@`): a value with
    // neither may be an API key pasted into the wrong variable.
    const shown = !value.includes('@') && /[.:]/.test(value) ? ` (${JSON.stringify(value)})` : '';
    throw new NightshiftError(
      'MODEL_CONFIG',
      `model ${spec}: ${fromConfig ? configKey : variable} is not an http(s) URL${shown}; expected e.g. http://127.0.0.1:8787`,
      { details: { problem: 'bad_base_url', variable: fromConfig ? configKey : variable } },
    );
  }
  return value;
}

function notASpec(spec: string, why: string): NightshiftError {
  // A base URL in the spec may carry `user:password@`: shown as [redacted]@.
  return new NightshiftError('MODEL_CONFIG', `model '${shownSpec(spec)}' ${why}; expected ${FORMS}`);
}

function isExecutorName(provider: string): provider is ExecutorName {
  return (EXECUTOR_NAMES as readonly string[]).includes(provider);
}

/** `provider:id`, split, with the id trimmed; a spec without both is refused. */
function splitSpec(spec: string): { provider: string; id: string } {
  const colon = spec.indexOf(':');
  if (colon <= 0) throw notASpec(spec, 'has no provider');
  const id = spec.slice(colon + 1).trim();
  if (id === '') throw notASpec(spec, 'has no model id after the colon');
  return { provider: spec.slice(0, colon), id };
}

/**
 * Builds what a role's spec names, a Model or an Executor, checking what can be checked without a request
 * or a session (see resolveModel; for an executor, that its CLI is installed and its API key set).
 *
 * @example
 * const agent = resolveAgent('codex:gpt-5', { env: process.env });
 * if (agent.kind === 'executor') console.log(agent.executor.name); // codex
 */
export function resolveAgent(spec: string, options: ResolveModelOptions = {}): Agent {
  const { provider, id } = splitSpec(spec);
  if (!isExecutorName(provider)) return { kind: 'model', model: resolveModel(spec, options) };
  const config = options.config ?? {};
  const executor = resolveExecutor(provider, spec, id, {
    env: options.env ?? process.env,
    anthropic: config.anthropic,
    openai: config.openai,
    prices: config.prices,
  });
  return { kind: 'executor', executor };
}

/**
 * Builds the Model a spec names, checking what can be checked without a request: the spec's form and the API
 * key. The provider packages load on the first turn. An executor's spec is refused: see resolveAgent.
 *
 * @example
 * const model = resolveModel('anthropic:claude-sonnet-4-5', { env: process.env });
 * const scripted = resolveModel('script:./roles/triage.script.yaml');
 */
export function resolveModel(spec: string, options: ResolveModelOptions = {}): Model {
  const env = options.env ?? process.env;
  const config = options.config ?? {};
  const { provider, id } = splitSpec(spec);
  const common: ProviderModelSettings = {
    timeoutMs: config.timeoutMs,
    maxResponseBytes: config.maxResponseBytes,
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
        baseUrl: baseUrl(
          spec,
          'ANTHROPIC_BASE_URL',
          'models.anthropic.baseUrl',
          config.anthropic?.baseUrl,
          env,
        ),
      });
    case 'openai':
    case 'openai-chat': {
      // One key and base URL for both OpenAI protocols: Responses (openai:) and Chat Completions (openai-chat:).
      const settings = {
        ...common,
        apiKey: apiKey(spec, 'OPENAI_API_KEY', 'models.openai.apiKey', config.openai?.apiKey, env),
        baseUrl: baseUrl(spec, 'OPENAI_BASE_URL', 'models.openai.baseUrl', config.openai?.baseUrl, env),
      };
      return provider === 'openai' ? createOpenAIModel(id, settings) : createOpenAIChatModel(id, settings);
    }
    case 'openai-compatible': {
      // Split at the first `@` that starts the URL: split at the last one, a base URL with `user:password@`
      // lost its scheme and was refused (and a model id may hold an `@` of its own).
      const at = id.search(/@https?:\/\//i);
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
    case 'custom': {
      const custom = config.custom ?? {};
      const model = Object.hasOwn(custom, id) ? custom[id] : undefined;
      if (!model) {
        const given = Object.keys(custom);
        throw new NightshiftError(
          'MODEL_CONFIG',
          `model ${spec} names no model given to createRuntime: pass one as models: { custom: { '${id}': yourModel } } (${given.length > 0 ? `given: ${given.join(', ')}` : 'none given'}); a custom model exists only in the library API, not in nightshift.config.yaml or the CLI`,
        );
      }
      return customModel(id, model);
    }
    case 'claude-code':
    case 'codex':
      // An executor runs whole sessions and takes no turns: it is not a Model.
      throw new NightshiftError(
        'MODEL_CONFIG',
        `model '${spec}' names an executor (an agent CLI that runs whole sessions), not a model; resolve it with resolveAgent`,
      );
    default:
      throw notASpec(spec, `names an unknown provider '${provider}'`);
  }
}
