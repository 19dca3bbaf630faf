// OpenAI Chat Completions on the wire (OpenAI and every compatible server): the request body and the reader
// of its streamed chunks (choices[0].delta text, refusal and tool_calls pieces, finish_reason, the usage
// chunk that stream_options.include_usage asks for, [DONE]).
import { randomUUID } from 'node:crypto';
import { incompleteStream, StreamError } from '../wire/collect.js';
import { endpointUrl } from '../wire/endpoint.js';
import {
  argumentsText,
  callId,
  callInput,
  EMPTY_ANSWER,
  emptyTurn,
  parseArgs,
  stopReasonOf,
  type TurnReader,
  textField,
  tokens,
  type WireProtocol,
  type WireRequest,
  wrongShape,
} from '../wire/protocol.js';
import { isReasoningModel } from './reasoning.js';

/** A streamed chunk's `object`, as shape errors name the event. */
const CHUNK = 'chat.completion.chunk';

/**
 * A delta's text: `content` as a string, or (some gateways) as an array of content parts, whose `text` parts
 * are its text. A part of another type (an image, audio) is not an answer nightshift can take, and fails the
 * turn naming it rather than being dropped.
 */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return textField(content, CHUNK, 'choices[0].delta.content');
  let text = '';
  for (let i = 0; i < content.length; i++) {
    const part = content[i] as { type?: unknown; text?: unknown } | null;
    const field = `choices[0].delta.content[${i}]`;
    if (typeof part !== 'object' || part === null) throw wrongShape(CHUNK, field, part, 'a content part');
    if (part.type !== 'text')
      throw new TypeError(
        `${CHUNK}: ${field} is a content part of type ${typeof part.type === 'string' ? JSON.stringify(part.type.slice(0, 40)) : 'none'}, not text (only text parts are taken as the answer)`,
      );
    text += textField(part.text, CHUNK, `${field}.text`);
  }
  return text;
}

function messages({ request, names }: WireRequest, reasoning: boolean): unknown[] {
  const out: unknown[] = [{ role: reasoning ? 'developer' : 'system', content: request.system }];
  for (const m of request.messages) {
    if (m.role === 'user') out.push({ role: 'user', content: m.content });
    else if (m.role === 'assistant')
      out.push({
        role: 'assistant',
        content: m.text !== '' || m.calls.length === 0 ? m.text || EMPTY_ANSWER : null,
        ...(m.calls.length > 0
          ? {
              tool_calls: m.calls.map((c) => ({
                id: c.id,
                type: 'function',
                function: { name: names.toProvider(c.tool), arguments: JSON.stringify(callInput(c.args)) },
              })),
            }
          : {}),
      });
    else out.push({ role: 'tool', tool_call_id: m.callId, content: m.content });
  }
  return out;
}

/** Chat Completions' finish reasons. */
const STOP_REASONS = {
  tool_calls: 'tool_calls',
  function_call: 'tool_calls',
  length: 'max_tokens',
  // Azure's (and some servers') filter cut the answer: not a finished one.
  content_filter: 'refusal',
  stop: 'end',
} as const;

/** A call as its pieces come in. */
interface PendingCall {
  id: string;
  name: string;
  json: string;
}

function reader(names: WireRequest['names']): TurnReader {
  const turn = emptyTurn();
  // Calls by their index in the message: the first piece brings id and name, later ones more arguments. A
  // piece with another id at an index already taken starts a new call (some servers reuse index 0), so
  // `calls` keeps every call in order and `byIndex` the one each index is filling now.
  const calls: PendingCall[] = [];
  const byIndex = new Map<number, PendingCall>();
  let raw: string | undefined;
  // include_usage is always sent: the answer is whole only with a finish_reason and then its usage chunk or
  // [DONE]. A stream cut after finish_reason would otherwise pass with 0 tokens counted. A server that never
  // sends a finish_reason is whole with both its usage chunk and [DONE]; [DONE] alone is not enough, since
  // relays (one-api and its forks) write it after their upstream read failed, and half an answer would pass.
  let usageSeen = false;
  let done = false;
  let refused = false;
  // Once a turn has tool_calls pieces, a `function_call` beside them is a mirror of one of them, not a call.
  let toolCallsSeen = false;
  return {
    event(name, data) {
      if (data === '[DONE]') {
        done = true;
        return;
      }
      const e = JSON.parse(data);
      // An `event: error` may carry the error as the whole payload: its message is kept, not lost.
      if (e.error) throw new StreamError(e.error);
      if (name === 'error') throw new StreamError(e);
      if (typeof e.model === 'string' && e.model !== '' && turn.modelId === undefined) turn.modelId = e.model;
      // The fields read are checked as they are read, with typeof (this runs on every chunk): a field of
      // another type was dropped, and the turn passed as complete with its text lost.
      const choices = e.choices;
      if (choices !== undefined && choices !== null && !Array.isArray(choices))
        throw wrongShape(CHUNK, 'choices', choices, 'an array');
      const choice = choices?.[0];
      if (choice !== undefined && choice !== null) {
        if (typeof choice !== 'object') throw wrongShape(CHUNK, 'choices[0]', choice, 'an object');
        const delta = choice.delta ?? {};
        if (typeof delta !== 'object' || Array.isArray(delta))
          throw wrongShape(CHUNK, 'choices[0].delta', delta, 'an object');
        turn.text += contentText(delta.content);
        // A refusal comes in its own field, not as content (a delta may carry both, content ""): dropped, the
        // run ended with an empty answer and no word of why. Its text is the answer; the turn did not end
        // normally.
        const refusal = textField(delta.refusal, CHUNK, 'choices[0].delta.refusal');
        if (refusal !== '') {
          turn.text += refusal;
          refused = true;
        }
        // A legacy `function_call` delta (what finish_reason `function_call` ends) is one call in pieces, like
        // a tool call at an index of its own: skipped, the model's call was lost and the turn read as an empty
        // answer. Its result goes back as a tool message, like any call's.
        // Only a piece that brings a name or arguments starts or continues one (`function_call: {}` on a text
        // answer made a call to no tool and lost the answer).
        if (delta.tool_calls !== undefined && delta.tool_calls !== null && !Array.isArray(delta.tool_calls))
          throw wrongShape(CHUNK, 'choices[0].delta.tool_calls', delta.tool_calls, 'an array');
        if (Array.isArray(delta.tool_calls) && delta.tool_calls.length > 0) toolCallsSeen = true;
        const legacy = delta.function_call;
        const pieces =
          delta.tool_calls ??
          (!toolCallsSeen && legacyPieceCounts(legacy) ? [{ index: -1, function: legacy }] : []);
        for (const piece of pieces) {
          let call: PendingCall | undefined;
          if (typeof piece.index === 'number') {
            call = byIndex.get(piece.index);
            if (!call || (piece.id && call.id && piece.id !== call.id)) {
              call = { id: '', name: '', json: '' };
              byIndex.set(piece.index, call);
              calls.push(call);
            }
          } else {
            // No index (some servers leave it out): the piece continues the last call unless it starts
            // another one, with another id or a name of its own. Taken as a new call each, every argument
            // piece became a call of its own and none was whole.
            call = calls.at(-1);
            const another = piece.id ? call?.id && piece.id !== call.id : piece.function?.name && call?.name;
            if (!call || another) {
              call = { id: '', name: '', json: '' };
              calls.push(call);
            }
          }
          const id = callId(piece.id, CHUNK, 'tool_calls[].id');
          if (id) call.id = id;
          const name = textField(piece.function?.name, CHUNK, 'tool_calls[].function.name');
          if (name) call.name = name;
          if (piece.function?.arguments) call.json += argumentsText(piece.function.arguments);
        }
        if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '')
          raw = choice.finish_reason;
        else if (
          choice.finish_reason !== undefined &&
          choice.finish_reason !== null &&
          choice.finish_reason !== ''
        )
          throw wrongShape(CHUNK, 'choices[0].finish_reason', choice.finish_reason, 'a string');
      }
      if (e.usage) {
        usageSeen = true;
        turn.usage.inputTokens = tokens(e.usage.prompt_tokens);
        turn.usage.outputTokens = tokens(e.usage.completion_tokens);
        turn.usage.cachedInputTokens = tokens(e.usage.prompt_tokens_details?.cached_tokens);
      }
    },
    finish() {
      const whole = raw !== undefined ? usageSeen || done : usageSeen && done;
      if (!whole) throw incompleteStream();
      for (const c of calls)
        turn.calls.push({
          // A call without an id still needs one: its result is matched to it on the next turn.
          id: c.id || `call_${randomUUID()}`,
          tool: names.fromProvider(c.name),
          args: parseArgs(c.json),
        });
      // No finish_reason (usage and [DONE] came): a normal end (with calls, a tool_calls one).
      turn.stopReason = refused ? 'refusal' : stopReasonOf(STOP_REASONS, raw ?? 'stop', turn.calls.length);
      return turn;
    },
  };
}

/** A legacy `function_call` delta that brings something: a name or a piece of its arguments. */
function legacyPieceCounts(piece: unknown): piece is { name?: unknown; arguments?: unknown } {
  if (typeof piece !== 'object' || piece === null) return false;
  const { name, arguments: args } = piece as { name?: unknown; arguments?: unknown };
  return (
    (typeof name === 'string' && name !== '') ||
    (typeof args === 'string' && args !== '') ||
    (typeof args === 'object' && args !== null)
  );
}

/** Chat Completions at `baseUrl` (ending in /v1). */
export function chatWire(modelId: string, baseUrl: string, apiKey: string | undefined): WireProtocol {
  const reasoning = isReasoningModel(modelId);
  return {
    url: endpointUrl(baseUrl, '/chat/completions'),
    headers: apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {},
    body(req) {
      const { request, names, structuredOutput } = req;
      return {
        model: modelId,
        messages: messages(req, reasoning),
        ...(request.maxOutputTokens
          ? reasoning
            ? { max_completion_tokens: request.maxOutputTokens }
            : { max_tokens: request.maxOutputTokens }
          : {}),
        ...(request.tools.length > 0
          ? {
              tools: request.tools.map((t) => ({
                type: 'function',
                function: {
                  name: names.toProvider(t.name),
                  description: t.description,
                  parameters: t.inputSchema,
                },
              })),
            }
          : {}),
        // Non-strict, as for the Responses API.
        ...(request.outputSchema && structuredOutput
          ? {
              response_format: {
                type: 'json_schema',
                json_schema: { name: 'output', schema: request.outputSchema, strict: false },
              },
            }
          : {}),
        stream: true,
        stream_options: { include_usage: true },
      };
    },
    reader,
  };
}
