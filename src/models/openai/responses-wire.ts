// The OpenAI Responses API on the wire: the request body (the whole conversation as input items, store off)
// and the reader of its streamed events (output_text.delta, refusal.delta, output_item.done,
// response.completed/incomplete/failed, error).
import { incompleteStream, StreamError } from '../wire/collect.js';
import { endpointUrl } from '../wire/endpoint.js';
import {
  argumentsText,
  callId,
  callInput,
  callName,
  EMPTY_ANSWER,
  emptyTurn,
  parseArgs,
  type TurnReader,
  textField,
  tokens,
  type WireProtocol,
  type WireRequest,
} from '../wire/protocol.js';
import { isReasoningModel } from './reasoning.js';

/** The event a final response's output is read from, as shape errors name it. */
const OUTPUT_EVENT = 'response.completed (response.output)';

function input({ request, names }: WireRequest, systemRole: string): unknown[] {
  const items: unknown[] = [{ role: systemRole, content: request.system }];
  for (const m of request.messages) {
    if (m.role === 'user') {
      items.push({ role: 'user', content: [{ type: 'input_text', text: m.content }] });
    } else if (m.role === 'assistant') {
      if (m.text !== '' || m.calls.length === 0)
        items.push({ role: 'assistant', content: [{ type: 'output_text', text: m.text || EMPTY_ANSWER }] });
      for (const c of m.calls)
        items.push({
          type: 'function_call',
          call_id: c.id,
          name: names.toProvider(c.tool),
          arguments: JSON.stringify(callInput(c.args)),
        });
    } else {
      items.push({ type: 'function_call_output', call_id: m.callId, output: m.content });
    }
  }
  return items;
}

/**
 * The events that carry what a turn needs. The rest (in_progress, content_part.*, output_text.done, the
 * argument deltas that output_item.done repeats whole, ...) are skipped by their `event:` name unparsed: some
 * carry the whole response object again, and parsing them was most of this reader's cost.
 */
const NEEDED = new Set([
  'response.output_text.delta',
  'response.refusal.delta',
  'response.output_item.done',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'error',
]);

/** An output item of the finished response, as far as this reader looks at it. */
interface OutputItem {
  type?: unknown;
  call_id?: unknown;
  name?: unknown;
  arguments?: unknown;
  content?: unknown;
}

/**
 * The error object of a failed response, with `code: null` read as `server_error`. OpenAI sends a null code
 * for its own internal failures ("An error occurred while processing your request"); read as it came, the
 * failure had no type, was taken for one that cannot be retried, and the run failed on the first transient
 * fault. A code or type the provider did give is kept.
 */
function withServerErrorCode(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const e = error as { code?: unknown; type?: unknown };
  if (e.code !== null || typeof e.type === 'string') return error;
  return { ...e, code: 'server_error' };
}

function reader(names: WireRequest['names']): TurnReader {
  const turn = emptyTurn();
  let done = false;
  let incomplete: string | undefined;
  let refused = false;
  // Whether any text came as deltas: only a stream without them has its text taken from the final response.
  let streamedText = false;
  // A call without a name was a call to tool ''; a call_id of another type, a made-up one (model.ts gives a
  // call that has none an id of its own).
  const call = (item: OutputItem, event: string) =>
    turn.calls.push({
      id: callId(item.call_id, event, 'call_id') ?? '',
      tool: names.fromProvider(callName(item.name, event, 'name')),
      args: parseArgs(argumentsText(item.arguments)),
    });
  /**
   * The final response's output, for what the stream's events did not bring: a compatible server that sends
   * no output_item.done (or no text deltas) has the calls and the text only there. Read from the events only,
   * the turn had no call and no text, and the run ended with an empty answer while the model asked for a tool.
   */
  const fromOutput = (output: unknown) => {
    if (!Array.isArray(output)) return;
    const takeCalls = turn.calls.length === 0;
    for (const item of output as OutputItem[]) {
      if (item?.type === 'function_call' && takeCalls) call(item, `${OUTPUT_EVENT} function_call`);
      else if (item?.type === 'message' && !streamedText && Array.isArray(item.content))
        for (const part of item.content as { type?: unknown; text?: unknown; refusal?: unknown }[]) {
          if (part?.type === 'output_text')
            turn.text += textField(part.text, OUTPUT_EVENT, 'output_text.text');
          else if (part?.type === 'refusal') {
            turn.text += textField(part.refusal, OUTPUT_EVENT, 'refusal.refusal');
            refused = true;
          }
        }
    }
  };
  return {
    event(name, data) {
      // A server that sends no `event:` names gets every event parsed, and so does one that names every
      // event `message` (SSE's default name, which generic SSE libraries in gateways write out): skipped by
      // name, its whole answer was taken for a cut-off stream and retried until the run failed.
      if (name !== undefined && name !== 'message' && !NEEDED.has(name)) return;
      const e = JSON.parse(data);
      switch (e.type) {
        case 'response.output_text.delta':
          turn.text += textField(e.delta, 'response.output_text.delta', 'delta');
          streamedText = true;
          break;
        case 'response.refusal.delta':
          // A refusal is a content part of its own, not output text: dropped, the run ended with an empty
          // answer and no word of why. Its text is the answer, and the turn did not end normally.
          turn.text += textField(e.delta, 'response.refusal.delta', 'delta');
          streamedText = true;
          refused = true;
          break;
        case 'response.output_item.done':
          // A call is whole when its item is done: its name, call id and complete arguments are all here.
          if (e.item?.type === 'function_call') call(e.item, 'response.output_item.done (function_call)');
          break;
        case 'response.completed':
        case 'response.incomplete': {
          done = true;
          const r = e.response ?? {};
          if (typeof r.model === 'string' && r.model !== '') turn.modelId = r.model;
          incomplete = r.incomplete_details?.reason;
          fromOutput(r.output);
          const u = r.usage ?? {};
          turn.usage.inputTokens = tokens(u.input_tokens);
          turn.usage.outputTokens = tokens(u.output_tokens);
          turn.usage.cachedInputTokens = tokens(u.input_tokens_details?.cached_tokens);
          break;
        }
        case 'response.failed':
          throw new StreamError(withServerErrorCode(e.response?.error ?? { message: 'the response failed' }));
        case 'error':
          // `{ type: 'error', code, message }`: the code says what happened (server_error, rate_limit_exceeded).
          throw new StreamError(
            e.error !== undefined && e.error !== null
              ? withServerErrorCode(e.error)
              : { type: e.code === null ? 'server_error' : (e.code ?? 'error'), message: e.message },
          );
        default:
          break;
      }
    },
    finish() {
      if (!done) throw incompleteStream();
      turn.stopReason =
        incomplete === 'max_output_tokens'
          ? 'max_tokens'
          : refused || incomplete === 'content_filter'
            ? 'refusal'
            : incomplete !== undefined
              ? 'other'
              : turn.calls.length > 0
                ? 'tool_calls'
                : 'end';
      return turn;
    },
  };
}

/** The Responses API at `baseUrl` (ending in /v1). */
export function responsesWire(modelId: string, baseUrl: string, apiKey: string | undefined): WireProtocol {
  const systemRole = isReasoningModel(modelId) ? 'developer' : 'system';
  return {
    url: endpointUrl(baseUrl, '/responses'),
    headers: apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {},
    body(req) {
      const { request, names, structuredOutput } = req;
      return {
        model: modelId,
        input: input(req, systemRole),
        ...(request.maxOutputTokens ? { max_output_tokens: request.maxOutputTokens } : {}),
        ...(request.tools.length > 0
          ? {
              tools: request.tools.map((t) => ({
                type: 'function',
                name: names.toProvider(t.name),
                description: t.description,
                parameters: t.inputSchema,
              })),
            }
          : {}),
        // Non-strict: strict mode asks for every property required and every object closed, which ordinary
        // role schemas are not (the engine checks the answer against the role's schema either way).
        ...(request.outputSchema && structuredOutput
          ? {
              text: {
                format: { type: 'json_schema', name: 'output', schema: request.outputSchema, strict: false },
              },
            }
          : {}),
        // nightshift sends the whole conversation each turn and keeps it itself.
        store: false,
        stream: true,
      };
    },
    reader,
  };
}
