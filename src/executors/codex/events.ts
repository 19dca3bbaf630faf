// Reading `codex exec --json` output: one JSON event per line. What becomes a step, the final message,
// usage per turn, and failures. Parsed loosely with zod: fields Codex adds are ignored.
import { z } from 'zod';
import type { Usage } from '../../models/types.js';
import { clip } from '../claude-code/messages.js';
import type { SessionEvent } from '../types.js';

const Item = z
  .object({
    type: z.string(),
    text: z.string().optional(),
    message: z.string().optional(),
    command: z.string().optional(),
    aggregated_output: z.string().optional(),
    exit_code: z.number().nullish(),
    status: z.string().optional(),
    changes: z.array(z.object({ path: z.string(), kind: z.string().optional() }).loose()).optional(),
  })
  .loose();

const Event = z
  .object({
    type: z.string(),
    thread_id: z.string().optional(),
    item: Item.optional(),
    usage: z
      .object({
        input_tokens: z.number().default(0),
        cached_input_tokens: z.number().default(0),
        output_tokens: z.number().default(0),
      })
      .loose()
      .optional(),
    error: z.object({ message: z.string() }).loose().optional(),
    message: z.string().optional(),
  })
  .loose();

/** What one line means for the session. */
export interface CodexLine {
  event?: SessionEvent | undefined;
  /** An agent message: the latest one is the session's answer. */
  answer?: string | undefined;
  /** `turn.completed` usage (tokens only; the cost comes from the price table). */
  usage?: Omit<Usage, 'costUsd'> | undefined;
  /** `turn.failed`: the session failed. */
  failure?: string | undefined;
  /** An `error` event: Codex also sends these while retrying, so it is fatal only if the process fails. */
  problem?: string | undefined;
}

export function readCodexLine(line: string): CodexLine {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return {};
  }
  const parsed = Event.safeParse(json);
  if (!parsed.success) return {};
  const e = parsed.data;
  switch (e.type) {
    case 'thread.started':
      return { event: { type: e.type, text: e.thread_id } };
    case 'item.completed': {
      const item = e.item;
      if (!item) return {};
      const type = `item.completed/${item.type}`;
      switch (item.type) {
        case 'agent_message':
          return { event: { type, text: clip(item.text ?? '') }, answer: item.text ?? '' };
        case 'command_execution':
          return {
            event: {
              type,
              tool: 'command_execution',
              input: { command: item.command },
              text: clip(item.aggregated_output ?? ''),
              isError: (item.exit_code ?? 0) !== 0 || item.status === 'failed',
            },
          };
        case 'file_change':
          return { event: { type, tool: 'file_change', input: { changes: item.changes ?? [] } } };
        case 'error':
          // Codex reports warnings this way too (missing model metadata); the session goes on.
          return { event: { type, text: clip(item.message ?? ''), isError: true } };
        default:
          return { event: { type, text: clip(item.text ?? '') } };
      }
    }
    case 'turn.completed': {
      const u = e.usage;
      const usage = u
        ? {
            inputTokens: u.input_tokens,
            outputTokens: u.output_tokens,
            cachedInputTokens: u.cached_input_tokens,
          }
        : { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
      return { event: { type: e.type }, usage };
    }
    case 'turn.failed':
      return {
        event: { type: e.type, text: e.error?.message, isError: true },
        failure: e.error?.message ?? 'turn failed',
      };
    case 'error':
      return { event: { type: e.type, text: e.message, isError: true }, problem: e.message ?? 'error' };
    default:
      return {};
  }
}
