// Anthropic's Messages API as a nightshift Model, through @ai-sdk/anthropic.
import { createAiSdkModel, type ProviderModelSettings } from '../ai-sdk/model.js';
import type { Model } from '../types.js';

/**
 * The AI SDK wants the base URL with `/v1`; ANTHROPIC_BASE_URL (as the `claude` CLI and Anthropic's SDKs read
 * it) has no `/v1`. Both forms are accepted.
 */
export function anthropicApiUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1`;
}

/**
 * A Model answering through the Anthropic Messages API (streamed), e.g. `claude-sonnet-4-5`. Without `apiKey`,
 * ANTHROPIC_API_KEY is used.
 *
 * @example
 * const model = createAnthropicModel('claude-sonnet-4-5', { apiKey: process.env.ANTHROPIC_API_KEY });
 * const answer = await model.turn({ system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }], tools: [] });
 */
export function createAnthropicModel(modelId: string, settings: ProviderModelSettings = {}): Model {
  // Read here rather than left to the AI SDK, so the key is known and kept out of error messages.
  const apiKey = settings.apiKey ?? process.env.ANTHROPIC_API_KEY;
  return createAiSdkModel({
    spec: `anthropic:${modelId}`,
    provider: 'anthropic',
    modelId,
    settings: { ...settings, apiKey },
    // A role's output schema goes as Messages API structured output (output_config.format), never as the AI
    // SDK's fallback "json" tool: that one forces a tool call on every turn and turns off parallel calls,
    // which an agent loop cannot live with.
    providerOptions: { anthropic: { structuredOutputMode: 'outputFormat' } },
    load: async () => {
      const { createAnthropic } = await import('@ai-sdk/anthropic');
      return createAnthropic({
        ...(apiKey !== undefined ? { apiKey } : {}),
        ...(settings.baseUrl ? { baseURL: anthropicApiUrl(settings.baseUrl) } : {}),
        ...(settings.fetch ? { fetch: settings.fetch } : {}),
      }).languageModel(modelId);
    },
  });
}
