// From a model spec to a Model. Bad settings (no API key, a malformed spec, an executor this version
// lacks) fail here, before a run is recorded and before any side effect.
import { NightshiftError } from '../errors.js';
import { createAiSdkModel } from './ai-sdk/adapter.js';
import { type Price, priceOf } from './pricing.js';
import { createScriptedModel } from './script/index.js';
import type { Model } from './types.js';

export interface ProviderSettings {
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
}

/** The `models:` section of nightshift.config.yaml. */
export interface ModelSettings {
  anthropic?: ProviderSettings | undefined;
  openai?: ProviderSettings | undefined;
  /** USD per million tokens by model spec, overriding the defaults. */
  prices?: Record<string, Price> | undefined;
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  retryBaseMs?: number | undefined;
}

export interface ResolveModelOptions {
  env?: NodeJS.ProcessEnv | undefined;
  config?: ModelSettings | undefined;
}

const FORMS =
  'script:<file>, anthropic:<model-id>, openai:<model-id>, openai-compatible:<model-id>@<base-url>';

function key(
  env: NodeJS.ProcessEnv,
  name: string,
  configured: string | undefined,
  spec: string,
  configKey: string,
): string {
  const value = configured ?? env[name];
  if (!value || value.trim() === '') {
    throw new NightshiftError(
      'MODEL_CONFIG',
      `model ${spec} needs ${name}: set it in the environment (or ${configKey} in nightshift.config.yaml)`,
    );
  }
  return value;
}

/**
 * Builds the model for a spec. Provider packages are imported only when used, so a scripted run (and the
 * CLI's start-up) does not pay for them.
 */
export async function resolveModel(spec: string, options: ResolveModelOptions = {}): Promise<Model> {
  const env = options.env ?? process.env;
  const config = options.config ?? {};
  const colon = spec.indexOf(':');
  const provider = colon > 0 ? spec.slice(0, colon) : '';
  const id = colon > 0 ? spec.slice(colon + 1).trim() : '';
  if (!provider || !id)
    throw new NightshiftError(
      'MODEL_CONFIG',
      `model '${spec}' is not a model spec; expected one of ${FORMS}`,
    );
  const common = {
    price: priceOf(spec, config.prices),
    timeoutMs: config.timeoutMs,
    maxRetries: config.maxRetries,
    retryBaseMs: config.retryBaseMs,
  };
  switch (provider) {
    case 'script':
      return createScriptedModel(id);
    case 'anthropic': {
      const apiKey = key(env, 'ANTHROPIC_API_KEY', config.anthropic?.apiKey, spec, 'models.anthropic.apiKey');
      const baseUrl = config.anthropic?.baseUrl ?? env.ANTHROPIC_BASE_URL;
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      const anthropic = createAnthropic({
        apiKey,
        ...(baseUrl ? { baseURL: `${baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1` } : {}),
      });
      return createAiSdkModel({ spec, provider, model: anthropic.languageModel(id), ...common });
    }
    case 'openai': {
      const apiKey = key(env, 'OPENAI_API_KEY', config.openai?.apiKey, spec, 'models.openai.apiKey');
      const baseUrl = config.openai?.baseUrl ?? env.OPENAI_BASE_URL;
      const { createOpenAI } = await import('@ai-sdk/openai');
      const openai = createOpenAI({ apiKey, ...(baseUrl ? { baseURL: baseUrl.replace(/\/+$/, '') } : {}) });
      return createAiSdkModel({ spec, provider, model: openai.chat(id), ...common });
    }
    case 'openai-compatible': {
      const at = id.lastIndexOf('@');
      const modelId = at > 0 ? id.slice(0, at) : '';
      const url = at > 0 ? id.slice(at + 1) : '';
      if (!modelId || !/^https?:\/\//.test(url)) {
        throw new NightshiftError(
          'MODEL_CONFIG',
          `model '${spec}' needs the form openai-compatible:<model-id>@<base-url>, e.g. openai-compatible:llama3@http://127.0.0.1:11434/v1`,
        );
      }
      // Local servers (Ollama, vLLM, LM Studio) usually take no key; send one if the environment has it.
      const { createOpenAI } = await import('@ai-sdk/openai');
      const openai = createOpenAI({
        apiKey: env.OPENAI_COMPATIBLE_API_KEY || 'not-needed',
        baseURL: url.replace(/\/+$/, ''),
      });
      return createAiSdkModel({ spec, provider, model: openai.chat(modelId), ...common });
    }
    case 'claude-code':
    case 'codex':
      throw new NightshiftError(
        'MODEL_CONFIG',
        `model ${spec}: the ${provider} executor is not available in this version of nightshift; use ${FORMS}`,
      );
    default:
      throw new NightshiftError(
        'MODEL_CONFIG',
        `model '${spec}': unknown provider '${provider}'; expected one of ${FORMS}`,
      );
  }
}
