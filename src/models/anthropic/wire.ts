// The Anthropic Messages API on the wire: the request body and the reader of its streamed events
// (message_start, content_block_start/delta/stop, message_delta, message_stop, error).

import type { Message } from '../types.js';
import { incompleteStream, StreamError } from '../wire/collect.js';
import { endpointUrl } from '../wire/endpoint.js';
import {
  callId,
  callInput,
  callName,
  EMPTY_ANSWER,
  emptyTurn,
  parseArgs,
  stopReasonOf,
  type TurnReader,
  textField,
  tokens,
  type WireProtocol,
  type WireRequest,
} from '../wire/protocol.js';
import { anthropicOutputSchema } from './output-schema.js';

/**
 * max_tokens is required by the Messages API; the engine always sends the role's limit, so this serves only a
 * direct `turn` without one.
 */
const DEFAULT_MAX_TOKENS = 4096;

type Block = Record<string, unknown>;
interface WireMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

function messages(list: readonly Message[], names: WireRequest['names']): WireMessage[] {
  const out: WireMessage[] = [];
  for (const m of list) {
    if (m.role === 'user') {
      out.push({ role: 'user', content: [{ type: 'text', text: m.content }] });
    } else if (m.role === 'assistant') {
      const content: Block[] = [];
      // An empty text block is rejected, and so is an assistant message without content.
      if (m.text !== '' || m.calls.length === 0) content.push({ type: 'text', text: m.text || EMPTY_ANSWER });
      for (const c of m.calls)
        content.push({
          type: 'tool_use',
          id: c.id,
          name: names.toProvider(c.tool),
          input: callInput(c.args),
        });
      out.push({ role: 'assistant', content });
    } else {
      const result: Block = { type: 'tool_result', tool_use_id: m.callId, content: m.content };
      if (m.isError) result.is_error = true;
      // Every tool_result of a turn goes in the one user message after it.
      const last = out.at(-1);
      if (last?.role === 'user' && last.content[0]?.type === 'tool_result') last.content.push(result);
      else out.push({ role: 'user', content: [result] });
    }
  }
  return out;
}

/** The Messages API's stop reasons. */
const STOP_REASONS = {
  tool_use: 'tool_calls',
  max_tokens: 'max_tokens',
  model_context_window_exceeded: 'max_tokens',
  end_turn: 'end',
  stop_sequence: 'end',
  pause_turn: 'end',
  refusal: 'refusal',
} as const;

function reader(names: WireRequest['names']): TurnReader {
  const turn = emptyTurn();
  // Tool-use blocks by their index: id, name and the argument pieces so far.
  const open = new Map<number, { id: string | undefined; name: string; json: string; seed: string }>();
  let raw: string | undefined;
  let stopped = false;
  // The counts so far. message_delta's usage is cumulative and, in today's API, carries the input counts too
  // (some gateways send them only there): each count is the largest seen, so a gateway's 0 on the delta
  // does not undo the start's, and input sent only on the delta is not lost (a turn priced as 0 input).
  const counts = { input: 0, cacheRead: 0, cacheCreation: 0, cacheCreation1h: 0, output: 0 };
  const takeUsage = (u: Record<string, unknown> | null | undefined) => {
    if (!u) return;
    counts.input = Math.max(counts.input, tokens(u.input_tokens));
    counts.cacheRead = Math.max(counts.cacheRead, tokens(u.cache_read_input_tokens));
    // cache_creation splits the writes by the cache's lifetime: a 1-hour write costs 2 × input, a 5-minute
    // one 1.25 ×. Its two parts are counted in cache_creation_input_tokens too (taken as their sum when a
    // gateway leaves that out).
    const lifetimes = (u.cache_creation ?? {}) as Record<string, unknown>;
    const written1h = tokens(lifetimes.ephemeral_1h_input_tokens);
    const written5m = tokens(lifetimes.ephemeral_5m_input_tokens);
    counts.cacheCreation = Math.max(
      counts.cacheCreation,
      tokens(u.cache_creation_input_tokens),
      written1h + written5m,
    );
    counts.cacheCreation1h = Math.max(counts.cacheCreation1h, written1h);
    counts.output = Math.max(counts.output, tokens(u.output_tokens));
    // input_tokens excludes the cached part: the whole prompt is all three.
    turn.usage.inputTokens = counts.input + counts.cacheRead + counts.cacheCreation;
    turn.usage.cachedInputTokens = counts.cacheRead;
    // Priced at the cache-write rates (1.25 × input, 2 × input for the 1-hour part), not as plain input.
    turn.usage.cacheWriteInputTokens = counts.cacheCreation;
    turn.usage.cacheWrite1hInputTokens = counts.cacheCreation1h;
    turn.usage.outputTokens = counts.output;
  };
  return {
    event(name, data) {
      // Keep-alives, parsed for nothing otherwise.
      if (name === 'ping') return;
      const e = JSON.parse(data);
      switch (e.type) {
        case 'content_block_delta':
          if (e.delta.type === 'text_delta')
            turn.text += textField(e.delta.text, 'content_block_delta (text_delta)', 'delta.text');
          else if (e.delta.type === 'input_json_delta') {
            const block = open.get(e.index);
            if (block)
              block.json += textField(
                e.delta.partial_json,
                'content_block_delta (input_json_delta)',
                'delta.partial_json',
              );
          }
          break;
        case 'content_block_start':
          if (e.content_block.type === 'tool_use') {
            // Some gateways send the whole input here rather than as input_json_delta pieces.
            const input = e.content_block.input;
            const seed =
              input && typeof input === 'object' && Object.keys(input).length > 0
                ? JSON.stringify(input)
                : '';
            // A tool_use without a name became a call to tool ''; an id of another type, a made-up one.
            const name = callName(
              e.content_block.name,
              'content_block_start (tool_use)',
              'content_block.name',
            );
            const id = callId(e.content_block.id, 'content_block_start (tool_use)', 'content_block.id');
            open.set(e.index, { id, name, json: '', seed });
          }
          break;
        case 'content_block_stop': {
          const block = open.get(e.index);
          if (block) {
            open.delete(e.index);
            turn.calls.push({
              // No id (a gateway left it out): model.ts gives the call one of its own.
              id: block.id ?? '',
              tool: names.fromProvider(block.name),
              // Pieces streamed win; the input sent whole on the start is used when none came.
              args: parseArgs(block.json || block.seed),
            });
          }
          break;
        }
        case 'message_start':
          takeUsage(e.message.usage);
          if (typeof e.message.model === 'string') turn.modelId = e.message.model;
          break;
        case 'message_delta':
          if (e.delta?.stop_reason) raw = e.delta.stop_reason;
          takeUsage(e.usage);
          break;
        case 'message_stop':
          stopped = true;
          break;
        case 'error':
          throw new StreamError(e.error);
        default:
          break;
      }
    },
    finish() {
      // Only message_stop, or at least a stop reason, says the answer is whole.
      if (!stopped && raw === undefined) throw incompleteStream();
      // A tool_use block the stream never closed (a gateway that drops content_block_stop) is still a call:
      // dropped, the turn said tool_use with no call in it, and the model's request went unanswered. Only when
      // the model stopped *for* the tool use: cut off by max_tokens, its arguments may be half-sent.
      if (raw === 'tool_use')
        for (const block of open.values())
          turn.calls.push({
            id: block.id ?? '',
            tool: names.fromProvider(block.name),
            args: parseArgs(block.json || block.seed),
          });
      open.clear();
      turn.stopReason = stopReasonOf(STOP_REASONS, raw, turn.calls.length);
      return turn;
    },
  };
}

/** The Messages API at `apiUrl` (ending in /v1, then any query the base URL had). */
export function anthropicWire(modelId: string, apiUrl: string, apiKey: string | undefined): WireProtocol {
  return {
    url: endpointUrl(apiUrl, '/messages'),
    headers: { ...(apiKey !== undefined ? { 'x-api-key': apiKey } : {}), 'anthropic-version': '2023-06-01' },
    body({ request, names, structuredOutput }) {
      return {
        model: modelId,
        max_tokens: request.maxOutputTokens ?? DEFAULT_MAX_TOKENS,
        system: [{ type: 'text', text: request.system }],
        messages: messages(request.messages, names),
        ...(request.tools.length > 0
          ? {
              tools: request.tools.map((t) => ({
                name: names.toProvider(t.name),
                description: t.description,
                input_schema: t.inputSchema,
              })),
            }
          : {}),
        // Structured output as output_config.format, never as a forced "json" tool: that one forces a tool
        // call on every turn and turns off parallel calls, which an agent loop cannot live with.
        ...(request.outputSchema && structuredOutput
          ? {
              output_config: {
                format: { type: 'json_schema', schema: anthropicOutputSchema(request.outputSchema) },
              },
            }
          : {}),
        stream: true,
      };
    },
    reader,
  };
}
