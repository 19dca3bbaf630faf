// The Model interface: one chat turn with tools, and what it cost. Every backend (scripted, Anthropic,
// OpenAI, ...) implements it and passes test/contract/model.ts. An agent CLI that runs whole sessions is
// not a Model but an Executor (executors/types.ts).
import type { ToolSpec } from '../tools/types.js';

export interface ToolCallRequest {
  /** The provider's id for the call (tool_use id / call id); used to pair results with calls. */
  id: string;
  /** nightshift's tool name, e.g. `fs.read` (adapters map to and from provider-safe names). */
  tool: string;
  args: unknown;
}

export type Message =
  | { role: 'user'; content: string }
  | { role: 'assistant'; text: string; calls: ToolCallRequest[] }
  | { role: 'tool'; callId: string; tool: string; content: string; isError: boolean };

export interface ModelRequest {
  system: string;
  messages: Message[];
  tools: ToolSpec[];
  /** JSON Schema the final answer must match, when the role has one. */
  outputSchema?: Record<string, unknown> | undefined;
  maxOutputTokens?: number;
  signal?: AbortSignal;
  /**
   * Called when the adapter starts waiting before it retries a failed attempt (a 429, a 5xx, a dropped
   * connection), with what it waits for. The engine keeps the last one: a run whose time budget runs out
   * during the wait says it was waiting to retry, not that the model was answering.
   */
  onRetryWait?: ((wait: RetryWait) => void) | undefined;
}

/** An adapter's wait before a retry: why, and for how long from the call. */
export interface RetryWait {
  provider: string;
  /** The HTTP status of the failed attempt; undefined for a dropped connection or an error in the stream. */
  status: number | undefined;
  /** The provider's error type, e.g. `rate_limit_error`. */
  providerErrorType: string | undefined;
  waitMs: number;
  /** True when the provider asked for the wait (retry-after, retry-after-ms), false for our own backoff. */
  retryAfter: boolean;
  /** Attempts made so far (the failed one included). */
  attempts: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  /** USD, from the price table (or the executor's own report). 0 for the scripted model. */
  costUsd: number;
}

export interface ModelResponse {
  text: string;
  calls: ToolCallRequest[];
  usage: Usage;
  /**
   * Why the model stopped: `max_tokens` when the output token limit cut the answer, `refusal` when the model
   * declined (Anthropic's `refusal` stop reason, OpenAI's refusal content) or a provider's content filter
   * stopped the answer (`content_filter`): neither is a finished answer.
   */
  stopReason: 'end' | 'tool_calls' | 'max_tokens' | 'refusal' | 'other';
  /** The model that answered, as the provider reported it. */
  modelId: string;
}

export interface Model {
  /** The spec it was made from, e.g. `anthropic:claude-sonnet-4-5` or `script:/abs/path.yaml`. */
  readonly spec: string;
  /** `script` marks scripted output: never presented as a real model's. */
  readonly provider: string;
  /**
   * False when the price table knows no price for this model: its turns report costUsd 0, meaning "unknown",
   * not "free" (say so to the user). Absent when the model reports its own cost (script).
   */
  readonly priced?: boolean;
  turn(request: ModelRequest): Promise<ModelResponse>;
}

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 };
}
