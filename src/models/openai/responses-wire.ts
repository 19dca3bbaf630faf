// The OpenAI Responses API on the wire: the request body (the whole conversation as input items, store off)
// and the reader of its streamed events (response.created, output_text.delta, output_item.added/done,
// function_call_arguments.delta, response.completed/incomplete/failed, error).
import { incompleteStream, StreamError } from '../wire/collect.js';
import { endpointUrl } from '../wire/endpoint.js';
import {
  argumentsText,
  callInput,
  EMPTY_ANSWER,
  emptyTurn,
  parseArgs,
  type TurnReader,
  textOf,
  tokens,
  type WireProtocol,
  type WireRequest,
} from '../wire/protocol.js';
import { isReasoningModel } from './reasoning.js';

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
  'response.output_item.done',
  'response.completed',
  'response.incomplete',
  'response.failed',
  'error',
]);

function reader(names: WireRequest['names']): TurnReader {
  const turn = emptyTurn();
  let done = false;
  let incomplete: string | undefined;
  return {
    event(name, data) {
      // A server that sends no `event:` names gets every event parsed, and so does one that names every
      // event `message` (SSE's default name, which generic SSE libraries in gateways write out): skipped by
      // name, its whole answer was taken for a cut-off stream and retried until the run failed.
      if (name !== undefined && name !== 'message' && !NEEDED.has(name)) return;
      const e = JSON.parse(data);
      switch (e.type) {
        case 'response.output_text.delta':
          turn.text += textOf(e.delta);
          break;
        case 'response.output_item.done':
          // A call is whole when its item is done: its name, call id and complete arguments are all here.
          if (e.item?.type === 'function_call')
            turn.calls.push({
              id: e.item.call_id,
              tool: names.fromProvider(e.item.name),
              args: parseArgs(argumentsText(e.item.arguments)),
            });
          break;
        case 'response.completed':
        case 'response.incomplete': {
          done = true;
          const r = e.response ?? {};
          if (r.model) turn.modelId = r.model;
          incomplete = r.incomplete_details?.reason;
          const u = r.usage ?? {};
          turn.usage.inputTokens = tokens(u.input_tokens);
          turn.usage.outputTokens = tokens(u.output_tokens);
          turn.usage.cachedInputTokens = tokens(u.input_tokens_details?.cached_tokens);
          break;
        }
        case 'response.failed':
          throw new StreamError(e.response?.error ?? { message: 'the response failed' });
        case 'error':
          // `{ type: 'error', code, message }`: the code says what happened (server_error, rate_limit_exceeded).
          throw new StreamError(e.error ?? { type: e.code ?? 'error', message: e.message });
        default:
          break;
      }
    },
    finish() {
      if (!done) throw incompleteStream();
      turn.stopReason =
        incomplete === 'max_output_tokens'
          ? 'max_tokens'
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
