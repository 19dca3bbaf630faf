// OpenAI Chat Completions as a nightshift Model, through @ai-sdk/openai's chat model, for OpenAI itself and
// for servers that speak the same protocol (vLLM, Ollama, LM Studio, gateways).
import { createAiSdkModel, type ProviderModelSettings } from '../ai-sdk/model.js';
import type { Model } from '../types.js';

/**
 * Sent as the bearer token to an openai-compatible server when no key is configured: most local servers take
 * none, but the client library insists on one.
 */
export const PLACEHOLDER_API_KEY = 'not-needed';

function chatModel(spec: string, provider: string, modelId: string, settings: ProviderModelSettings): Model {
  return createAiSdkModel({
    spec,
    provider,
    modelId,
    settings,
    load: async () => {
      const { createOpenAI } = await import('@ai-sdk/openai');
      // Chat Completions, not the Responses API the package defaults to: it is what compatible servers speak.
      // Streaming asks for the usage chunk (stream_options.include_usage) on its own.
      return createOpenAI({
        ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
        ...(settings.baseUrl ? { baseURL: settings.baseUrl.replace(/\/+$/, '') } : {}),
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
      }).chat(modelId);
    },
  });
}

/**
 * A Model answering through OpenAI Chat Completions (streamed), e.g. `gpt-4.1-mini`. `baseUrl` includes `/v1`,
 * as OPENAI_BASE_URL does. Without `apiKey`, OPENAI_API_KEY is used.
 *
 * @example
 * const model = createOpenAIModel('gpt-4.1-mini', { apiKey: process.env.OPENAI_API_KEY });
 */
export function createOpenAIModel(modelId: string, settings: ProviderModelSettings = {}): Model {
  // Read here rather than left to the AI SDK, so the key is known and kept out of error messages.
  const apiKey = settings.apiKey ?? process.env.OPENAI_API_KEY;
  return chatModel(`openai:${modelId}`, 'openai', modelId, { ...settings, apiKey });
}

/**
 * A Model on any server speaking Chat Completions at `baseUrl` (spec `openai-compatible:<model>@<base-url>`).
 * Without an apiKey a placeholder is sent.
 *
 * @example
 * const model = createOpenAICompatibleModel('llama3', 'http://127.0.0.1:11434/v1');
 */
export function createOpenAICompatibleModel(
  modelId: string,
  baseUrl: string,
  settings: Omit<ProviderModelSettings, 'baseUrl'> = {},
): Model {
  return chatModel(`openai-compatible:${modelId}@${baseUrl}`, 'openai-compatible', modelId, {
    ...settings,
    apiKey: settings.apiKey || PLACEHOLDER_API_KEY,
    baseUrl,
  });
}
