// OpenAI as a nightshift Model, spoken directly (decision 039): the Responses API for `openai:` (what
// OpenAI's newer models are built around), Chat Completions for `openai-chat:` and for servers that speak
// only that protocol (vLLM, Ollama, LM Studio, gateways: `openai-compatible:`).
import type { Model } from '../types.js';
import { hasUserinfo } from '../wire/endpoint.js';
import { createHttpModel, type ProviderModelSettings } from '../wire/model.js';
import { chatWire } from './chat-wire.js';
import { responsesWire } from './responses-wire.js';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';

/**
 * Sent as the bearer token to an openai-compatible server when no key is configured: most local servers take
 * none, but the client library insists on one.
 */
export const PLACEHOLDER_API_KEY = 'not-needed';

function openaiModel(
  spec: string,
  provider: string,
  modelId: string,
  settings: ProviderModelSettings,
  api: 'responses' | 'chat',
): Model {
  const baseUrl = settings.baseUrl || DEFAULT_BASE_URL;
  return createHttpModel({
    spec,
    provider,
    modelId,
    settings,
    protocol:
      api === 'responses'
        ? responsesWire(modelId, baseUrl, settings.apiKey)
        : chatWire(modelId, baseUrl, settings.apiKey),
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
  // Read here, so the key is known and kept out of error messages.
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
 * Without an apiKey a placeholder is sent, unless the base URL has `user:password@`: that is sent as Basic auth.
 *
 * @example
 * const model = createOpenAICompatibleModel('llama3', 'http://127.0.0.1:11434/v1');
 */
export function createOpenAICompatibleModel(
  modelId: string,
  baseUrl: string,
  settings: Omit<ProviderModelSettings, 'baseUrl'> = {},
): Model {
  // A base URL's `user:password@` is sent as Basic auth (node:http does it when no Authorization header is
  // set), so without a key no placeholder Bearer takes its place.
  const apiKey = settings.apiKey || (hasUserinfo(baseUrl) ? undefined : PLACEHOLDER_API_KEY);
  return openaiModel(
    `openai-compatible:${modelId}@${baseUrl}`,
    'openai-compatible',
    modelId,
    { ...settings, apiKey, baseUrl },
    'chat',
  );
}
