// One streamed answer, collected: text, tool calls (mapped back to nightshift's names), token usage, why it
// stopped and which model answered. An error event inside the stream is thrown as StreamError.
import type { LanguageModelV3FinishReason, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { ToolNameMap } from '../tool-names.js';
import type { ModelResponse, ToolCallRequest } from '../types.js';

export interface CollectedTurn {
  text: string;
  calls: ToolCallRequest[];
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number };
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

/** Arguments as the model sent them: parsed JSON, or the raw text when it is not JSON. */
function parseArgs(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // Kept as the raw string: the tool's schema check rejects it, and the model is told why.
    return text;
  }
}

function stopReason(reason: LanguageModelV3FinishReason, calls: number): ModelResponse['stopReason'] {
  switch (reason.unified) {
    case 'tool-calls':
      return 'tool_calls';
    case 'length':
      return 'max_tokens';
    case 'stop':
      // Some compatible servers say "stop" after tool calls.
      return calls > 0 ? 'tool_calls' : 'end';
    default:
      return 'other';
  }
}

export async function collectTurn(
  stream: ReadableStream<LanguageModelV3StreamPart>,
  names: ToolNameMap,
): Promise<CollectedTurn> {
  const turn: CollectedTurn = {
    text: '',
    calls: [],
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
    stopReason: 'other',
    modelId: undefined,
  };
  // Whether the provider said why it stopped. A stream cut off cleanly (a proxy's idle timeout, a server
  // restart) looks like a short answer otherwise, and would pass for the model's final word.
  let complete = false;
  for await (const part of stream as unknown as AsyncIterable<LanguageModelV3StreamPart>) {
    switch (part.type) {
      case 'text-delta':
        turn.text += part.delta;
        break;
      case 'tool-call':
        if (part.providerExecuted) break;
        turn.calls.push({
          id: part.toolCallId,
          tool: names.fromProvider(part.toolName),
          args: parseArgs(part.input),
        });
        break;
      case 'response-metadata':
        if (part.modelId) turn.modelId = part.modelId;
        break;
      case 'finish':
        turn.usage = {
          // The whole prompt, cached part included (AI SDK v3: total = noCache + cacheRead + cacheWrite).
          inputTokens: part.usage.inputTokens.total ?? 0,
          outputTokens: part.usage.outputTokens.total ?? 0,
          cachedInputTokens: part.usage.inputTokens.cacheRead ?? 0,
        };
        turn.stopReason = stopReason(part.finishReason, turn.calls.length);
        // Chat Completions and Messages always give a raw reason; the Responses API gives none on a normal
        // completion, but then the unified reason is stop or tool-calls. A stream that ended without its end
        // event keeps the initial { unified: 'other', raw: undefined }.
        complete = part.finishReason.raw !== undefined || part.finishReason.unified !== 'other';
        break;
      case 'error':
        throw part.error instanceof Error ? part.error : new StreamError(part.error);
      default:
        break;
    }
  }
  if (!complete) {
    throw new StreamError({
      type: INCOMPLETE_STREAM,
      message: 'the response stream ended before the provider said the answer was complete',
    });
  }
  return turn;
}
