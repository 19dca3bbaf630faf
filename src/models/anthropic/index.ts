// Anthropic's Messages API as a nightshift Model, spoken directly (anthropic/wire.ts; decision 039).
import type { Model } from '../types.js';
import { endpointUrl } from '../wire/endpoint.js';
import { createHttpModel, type ProviderModelSettings } from '../wire/model.js';
import { anthropicWire } from './wire.js';

/**
 * The API's URL with `/v1`. ANTHROPIC_BASE_URL (as the `claude` CLI and Anthropic's SDKs read it) has no
 * `/v1`; both forms are accepted.
 */
export function anthropicApiUrl(baseUrl: string): string {
  const url = endpointUrl(baseUrl, '');
  const cut = url.indexOf('?');
  const path = cut < 0 ? url : url.slice(0, cut);
  return `${path.replace(/\/v1$/, '')}/v1${cut < 0 ? '' : url.slice(cut)}`;
}

const DEFAULT_BASE_URL = 'https://api.anthropic.com';

/**
 * A Model answering through the Anthropic Messages API (streamed), e.g. `claude-sonnet-4-5`. Without `apiKey`,
 * ANTHROPIC_API_KEY is used.
 *
 * @example
 * const model = createAnthropicModel('claude-sonnet-4-5', { apiKey: process.env.ANTHROPIC_API_KEY });
 * const answer = await model.turn({ system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }], tools: [] });
 */
export function createAnthropicModel(modelId: string, settings: ProviderModelSettings = {}): Model {
  // Read here, so the key is known and kept out of error messages.
  const apiKey = settings.apiKey ?? process.env.ANTHROPIC_API_KEY;
  return createHttpModel({
    spec: `anthropic:${modelId}`,
    provider: 'anthropic',
    modelId,
    settings: { ...settings, apiKey },
    protocol: anthropicWire(modelId, anthropicApiUrl(settings.baseUrl || DEFAULT_BASE_URL), apiKey),
  });
}
