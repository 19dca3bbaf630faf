// One streamed answer, collected: text, tool calls (mapped back to nightshift's names), token usage, why it
// stopped and which model answered; each protocol's reader fills it. An error event inside the stream is
// thrown as StreamError.
import type { ModelResponse, ToolCallRequest } from '../types.js';

export interface CollectedTurn {
  text: string;
  calls: ToolCallRequest[];
  /**
   * `cacheWriteInputTokens`: the part of the input written to the provider's prompt cache (Anthropic's
   * cache_creation_input_tokens), priced apart; counted in `inputTokens` too. `cacheWrite1hInputTokens`: the
   * part of those written to a 1-hour cache (cache_creation.ephemeral_1h_input_tokens), dearer again.
   */
  usage: {
    inputTokens: number;
    outputTokens: number;
    cachedInputTokens: number;
    cacheWriteInputTokens?: number;
    cacheWrite1hInputTokens?: number;
  };
  stopReason: ModelResponse['stopReason'];
  /** The model id the provider reported, when it did. */
  modelId: string | undefined;
}

/** An error event the provider sent inside a 200 stream; `payload` is the event's error object as sent. */
export class StreamError extends Error {
  readonly payload: unknown;
  constructor(payload: unknown) {
    const p = (payload ?? {}) as { message?: unknown };
    super(typeof p.message === 'string' ? p.message : JSON.stringify(payload));
    this.name = 'StreamError';
    this.payload = payload;
  }
}

/** The StreamError type of a stream that ended without its end event: transient, worth a retry. */
export const INCOMPLETE_STREAM = 'incomplete_stream';

/**
 * What a reader throws when the stream ended without the provider saying the answer was complete: a stream
 * cut off cleanly (a proxy's idle timeout, a server restart) looks like a short answer otherwise, and would
 * pass for the model's final word.
 */
export function incompleteStream(): StreamError {
  return new StreamError({
    type: INCOMPLETE_STREAM,
    message: 'the response stream ended before the provider said the answer was complete',
  });
}
