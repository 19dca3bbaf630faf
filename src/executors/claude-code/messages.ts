// Reading the Agent SDK's messages (the same shapes as `claude -p --output-format stream-json`): what
// becomes a step, and the final `result`. Parsed with zod, loosely: a field the CLI adds is ignored, a
// field it drops is a missing value, never a crash.
import { z } from 'zod';
import { emptyUsage, type Usage } from '../../models/types.js';
import type { SessionEvent } from '../types.js';

/** Longest text kept in a step (tool output can be large; the step is a trail, not a transcript). */
const MAX_TEXT = 4000;

export function clip(text: string, max = MAX_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters]` : text;
}

const ApiUsage = z
  .object({
    input_tokens: z.number().optional(),
    output_tokens: z.number().optional(),
    cache_read_input_tokens: z.number().nullish(),
    cache_creation_input_tokens: z.number().nullish(),
  })
  .loose();

const Block = z
  .object({
    type: z.string(),
    text: z.string().optional(),
    name: z.string().optional(),
    id: z.string().optional(),
    input: z.unknown().optional(),
    tool_use_id: z.string().optional(),
    content: z.unknown().optional(),
    is_error: z.boolean().optional(),
  })
  .loose();

const Message = z.discriminatedUnion('type', [
  z
    .object({ type: z.literal('system'), subtype: z.string().optional(), model: z.string().optional() })
    .loose(),
  z
    .object({
      type: z.literal('assistant'),
      message: z.object({ content: z.array(Block).default([]), model: z.string().optional() }).loose(),
    })
    .loose(),
  z
    .object({
      type: z.literal('user'),
      message: z.object({ content: z.union([z.string(), z.array(Block)]) }).loose(),
    })
    .loose(),
  z
    .object({
      type: z.literal('result'),
      subtype: z.string(),
      is_error: z.boolean(),
      result: z.string().optional(),
      num_turns: z.number().default(0),
      total_cost_usd: z.number().default(0),
      usage: ApiUsage.optional(),
      errors: z.array(z.string()).optional(),
      permission_denials: z.array(z.unknown()).optional(),
    })
    .loose(),
]);

export interface ClaudeResult {
  text: string;
  isError: boolean;
  subtype: string;
  turns: number;
  usage: Usage;
  errors: string[];
}

/** Token counts of the API's usage object; cache reads and writes both count as input. */
export function usageOf(u: z.infer<typeof ApiUsage> | undefined, costUsd: number): Usage {
  if (!u) return { ...emptyUsage(), costUsd };
  const cached = u.cache_read_input_tokens ?? 0;
  return {
    inputTokens: (u.input_tokens ?? 0) + cached + (u.cache_creation_input_tokens ?? 0),
    outputTokens: u.output_tokens ?? 0,
    cachedInputTokens: cached,
    costUsd,
  };
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content.map((c) => (typeof c?.text === 'string' ? c.text : JSON.stringify(c))).join('');
  return JSON.stringify(content ?? null);
}

/** Every SDK message names the session it belongs to; with `resume`, that is the resumed one. */
const SessionOf = z.object({ session_id: z.string().min(1) }).loose();

/** The session id a message carries, if any. */
export function sessionIdOf(raw: unknown): string | undefined {
  const parsed = SessionOf.safeParse(raw);
  return parsed.success ? parsed.data.session_id : undefined;
}

/**
 * One SDK message as steps (events) and, for the last one, the result. Messages nightshift does not keep
 * (stream deltas, status pings) give nothing.
 */
export function readClaudeMessage(raw: unknown): {
  events: SessionEvent[];
  result?: ClaudeResult;
  model?: string;
} {
  const parsed = Message.safeParse(raw);
  if (!parsed.success) return { events: [] };
  const m = parsed.data;
  switch (m.type) {
    case 'system':
      if (m.subtype === 'init') return { events: [{ type: 'system/init', text: m.model }], model: m.model };
      if (m.subtype === 'api_retry') return { events: [{ type: 'system/api_retry', isError: true }] };
      return { events: [] };
    case 'assistant': {
      const events: SessionEvent[] = [];
      for (const b of m.message.content) {
        if (b.type === 'text' && b.text) events.push({ type: 'assistant', text: clip(b.text) });
        if (b.type === 'tool_use') events.push({ type: 'tool_use', tool: b.name, input: b.input });
      }
      return { events, ...(m.message.model ? { model: m.message.model } : {}) };
    }
    case 'user': {
      const blocks = typeof m.message.content === 'string' ? [] : m.message.content;
      return {
        events: blocks
          .filter((b) => b.type === 'tool_result')
          .map((b) => ({
            type: 'tool_result',
            text: clip(contentText(b.content)),
            isError: b.is_error === true,
          })),
      };
    }
    case 'result': {
      // `subtype` may say "success" while `is_error` is true (an API error the CLI gave up on): is_error wins.
      const result: ClaudeResult = {
        text: m.result ?? '',
        isError: m.is_error || m.subtype !== 'success',
        subtype: m.subtype,
        turns: m.num_turns,
        usage: usageOf(m.usage, m.total_cost_usd),
        errors: m.errors ?? [],
      };
      return {
        events: [
          {
            type: `result/${m.subtype}`,
            text: clip(m.result ?? (m.errors ?? []).join('; ')),
            isError: result.isError,
            usage: result.usage,
          },
        ],
        result,
      };
    }
  }
}
