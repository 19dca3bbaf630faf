// What one provider wire protocol supplies to the HTTP model (model.ts): where to post, the request
// body built from nightshift's conversation, and a reader that turns the answer's server-sent events into a
// collected turn. Spoken directly (fetch + a lean SSE reader) rather than through the AI SDK provider
// packages: decision 039 says why.

import type { ToolNameMap } from '../tool-names.js';
import type { ModelRequest, ModelResponse } from '../types.js';
import type { CollectedTurn } from './collect.js';

export interface WireRequest {
  request: ModelRequest;
  names: ToolNameMap;
  /** Send the role's output schema as the provider's structured-output setting. */
  structuredOutput: boolean;
}

/** Reads one streamed answer, event by event; `finish` is called once the stream has ended. */
export interface TurnReader {
  /** One server-sent event: its `event:` name (undefined when it had none) and its `data:` text. */
  event(name: string | undefined, data: string): void;
  /** The answer, or a StreamError when the stream ended before the provider said it was complete. */
  finish(): CollectedTurn;
}

export interface WireProtocol {
  /** The endpoint's URL. */
  url: string;
  /** Headers besides content-type: the credential, the API version. */
  headers: Record<string, string>;
  body(input: WireRequest): unknown;
  reader(names: ToolNameMap): TurnReader;
}

/** Arguments as the model sent them: parsed JSON, or the raw text when it is not JSON. */
export function parseArgs(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // Kept as the raw string: the tool's schema check rejects it, and the model is told why.
    return text;
  }
}

/** The arguments of an earlier call as a provider must receive them: always a JSON object. */
export function callInput(args: unknown): Record<string, unknown> {
  if (typeof args === 'object' && args !== null && !Array.isArray(args))
    return args as Record<string, unknown>;
  // The model sent arguments that were not a JSON object (kept as the raw text so the schema check rejected
  // the call). APIs refuse such a call in the history (Anthropic answers 400), so it goes back wrapped,
  // still showing the model what it sent.
  return { unparsedArguments: args ?? null };
}

/**
 * A token count as a provider reported it, made a whole number of at least 0: a missing or malformed one
 * (null, a negative, NaN, an object) counts 0, a numeric string its number. Taken as sent, a gateway's
 * `"1000"` summed to the string "100050" and was charged 300 times over, and a negative or infinite count made
 * the turn's cost negative or null, which no budget check stops.
 */
export function tokens(value: unknown): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && /^\s*\d+\s*$/.test(value)
        ? Number(value)
        : 0;
  return Number.isFinite(n) && n > 0 ? Math.min(Math.round(n), Number.MAX_SAFE_INTEGER) : 0;
}

/** What a value is, for a shape error: `a number`, `an object`, `an array`, `null`. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (value === '') return 'an empty string';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/**
 * What a reader throws on an event whose field it reads is not of the protocol's shape: a TypeError, which
 * post.ts reports as "the provider sent a stream event of an unexpected shape" and which is not retried.
 * Named by the event and the field; the value is not quoted (it may hold model-written text).
 */
export function wrongShape(event: string, field: string, value: unknown, expected: string): TypeError {
  return new TypeError(`${event}: ${field} is ${kindOf(value)}, not ${expected}`);
}

/**
 * A text piece of an event: a string as it is, a missing one (undefined, null) as nothing. Any other type
 * (`"text": 42`) is not the protocol's shape and fails the turn: dropped, the turn passed as complete with
 * its text lost. A typeof check only, on the streaming path's every delta.
 */
export function textField(value: unknown, event: string, field: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  throw wrongShape(event, field, value, 'a string');
}

/** A tool call's name, which every protocol sends as a non-empty string: a call to tool '' is no call. */
export function callName(value: unknown, event: string, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  throw wrongShape(event, field, value, 'a tool name');
}

/**
 * A tool call's id: a string, or missing (some compatible servers leave it out; model.ts gives such a call an
 * id of its own). Any other type is not the protocol's shape.
 */
export function callId(value: unknown, event: string, field: string): string | undefined {
  if (typeof value === 'string' || value === undefined || value === null) return value ?? undefined;
  throw wrongShape(event, field, value, 'a string');
}

/**
 * A function call's arguments as JSON text. The APIs send a string; some compatible servers send the object
 * itself, which appended as text became "[object Object]" and the call was refused as not JSON.
 */
export function argumentsText(value: unknown): string {
  if (typeof value === 'string') return value;
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : '';
}

/** APIs reject an empty assistant message: an answer with neither text nor calls goes back as this. */
export const EMPTY_ANSWER = '(empty answer)';

/** A fresh, empty collected turn. */
export function emptyTurn(): CollectedTurn {
  return {
    text: '',
    calls: [],
    usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
    stopReason: 'other',
    modelId: undefined,
  };
}

/**
 * Why the model stopped, from a protocol's table of its raw reasons. A normal end with calls counts as
 * `tool_calls`: some compatible servers say "stop" after tool calls.
 */
export function stopReasonOf(
  table: Readonly<Record<string, 'tool_calls' | 'max_tokens' | 'refusal' | 'end'>>,
  raw: string | undefined,
  calls: number,
): ModelResponse['stopReason'] {
  const reason = raw === undefined ? undefined : table[raw];
  if (reason === 'end') return calls > 0 ? 'tool_calls' : 'end';
  return reason ?? 'other';
}
