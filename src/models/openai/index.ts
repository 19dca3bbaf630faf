// OpenAI as a nightshift Model, through @ai-sdk/openai: the Responses API for `openai:` (what OpenAI's newer
// models are built around), Chat Completions for `openai-chat:` and for servers that speak only that
// protocol (vLLM, Ollama, LM Studio, gateways: `openai-compatible:`).
import type { OpenAIProvider } from '@ai-sdk/openai';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { createAiSdkModel, type ProviderModelSettings } from '../ai-sdk/model.js';
import type { Model } from '../types.js';

/**
 * Sent as the bearer token to an openai-compatible server when no key is configured: most local servers take
 * none, but the client library insists on one.
 */
export const PLACEHOLDER_API_KEY = 'not-needed';

/**
 * Every call's provider options. A role's output schema goes as a non-strict json_schema: strict mode asks
 * for every property required and every object closed, which ordinary role schemas are not (the engine checks
 * the answer against the role's schema either way).
 */
const CHAT_OPTIONS = { openai: { strictJsonSchema: false } };
/** Plus `store: false`: nightshift sends the whole conversation each turn and keeps it itself. */
const RESPONSES_OPTIONS = { openai: { strictJsonSchema: false, store: false } };

function openaiModel(
  spec: string,
  provider: string,
  modelId: string,
  settings: ProviderModelSettings,
  api: 'responses' | 'chat',
): Model {
  return createAiSdkModel({
    spec,
    provider,
    modelId,
    settings,
    providerOptions: api === 'responses' ? RESPONSES_OPTIONS : CHAT_OPTIONS,
    load: async (): Promise<LanguageModelV3> => {
      const { createOpenAI } = await import('@ai-sdk/openai');
      const openai: OpenAIProvider = createOpenAI({
        ...(settings.apiKey !== undefined ? { apiKey: settings.apiKey } : {}),
        ...(settings.baseUrl ? { baseURL: settings.baseUrl.replace(/\/+$/, '') } : {}),
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
      });
      // Streaming Chat Completions asks for the usage chunk (stream_options.include_usage) on its own.
      return api === 'responses' ? openai.responses(modelId) : openai.chat(modelId);
    },
  });
}

/**
 * A Model answering through the OpenAI Responses API (streamed), e.g. `gpt-5-mini`. `baseUrl` includes `/v1`,
 * as OPENAI_BASE_URL does. Without `apiKey`, OPENAI_API_KEY is used.
 *
 * @example
 * const model = createOpenAIModel('gpt-5-mini', { apiKey: process.env.OPENAI_API_KEY });
 */
export function createOpenAIModel(modelId: string, settings: ProviderModelSettings = {}): Model {
  // Read here rather than left to the AI SDK, so the key is known and kept out of error messages.
  const apiKey = settings.apiKey ?? process.env.OPENAI_API_KEY;
  return openaiModel(`openai:${modelId}`, 'openai', modelId, { ...settings, apiKey }, 'responses');
}

/**
 * A Model answering through OpenAI Chat Completions (streamed), spec `openai-chat:<model>`: for a gateway or
 * proxy in front of OpenAI that has no Responses API. Same key and base URL as createOpenAIModel.
 *
 * @example
 * const model = createOpenAIChatModel('gpt-4.1-mini', { apiKey: process.env.OPENAI_API_KEY });
 */
export function createOpenAIChatModel(modelId: string, settings: ProviderModelSettings = {}): Model {
  const apiKey = settings.apiKey ?? process.env.OPENAI_API_KEY;
  return openaiModel(`openai-chat:${modelId}`, 'openai-chat', modelId, { ...settings, apiKey }, 'chat');
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
  return openaiModel(
    `openai-compatible:${modelId}@${baseUrl}`,
    'openai-compatible',
    modelId,
    { ...settings, apiKey: settings.apiKey || PLACEHOLDER_API_KEY, baseUrl },
    'chat',
  );
}
