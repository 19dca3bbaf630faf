// Which OpenAI models are reasoning models (o-series, gpt-5 and later but not the gpt-5-chat variants), as
// @ai-sdk/openai decides it: those take the system prompt as a `developer` message and, on Chat Completions,
// their output limit as max_completion_tokens (they reject max_tokens).
export function isReasoningModel(modelId: string): boolean {
  if (/^o\d+(?:-|$)/.test(modelId)) return true;
  const gpt = /^gpt-(\d+)(?:\.(\d+))?(?:-([a-z]+))?/.exec(modelId);
  if (!gpt) return false;
  const chatVariant = gpt[2] === undefined && (gpt[3] ?? '').startsWith('chat');
  return Number(gpt[1]) >= 5 && !chatVariant;
}
