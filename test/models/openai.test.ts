// The OpenAI Chat Completions adapter (and openai-compatible endpoints) against a local fake server.
import { DEFAULT_PRICES } from '../../src/models/pricing.js';
import { describeModelContract } from '../contract/model.js';
import { startFakeOpenAI } from '../support/fake-openai.js';

const SECRET = 'sk-openai-test-secret-456';
const price = DEFAULT_PRICES['openai:gpt-4.1-mini']!;

const toolResults = (body: Record<string, unknown>): [string, string][] =>
  (body.messages as { role: string; tool_call_id?: string; content?: unknown }[])
    .filter((m) => m.role === 'tool')
    .map((m) => [m.tool_call_id!, JSON.stringify(m.content)]);
const toolNames = (body: Record<string, unknown>) =>
  (body.tools as { function: { name: string } }[]).map((t) => t.function.name);

describeModelContract('openai', {
  start: startFakeOpenAI,
  spec: () => 'openai:gpt-4.1-mini',
  env: (fake) => ({ OPENAI_API_KEY: SECRET, OPENAI_BASE_URL: fake.url }),
  price: { input: price.input, output: price.output, cachedInput: price.cachedInput ?? price.input },
  toolNames,
  toolResults,
  secret: SECRET,
});

describeModelContract('openai-compatible', {
  start: startFakeOpenAI,
  spec: (fake) => `openai-compatible:llama3@${fake.url}`,
  env: () => ({ OPENAI_COMPATIBLE_API_KEY: SECRET }),
  price: { input: 0, output: 0, cachedInput: 0 },
  toolNames,
  toolResults,
  secret: SECRET,
});
