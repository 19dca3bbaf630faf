// Reading `codex app-server` notifications: what becomes a step, the final message, token usage and
// failures. Parsed loosely with zod: fields Codex adds are ignored, a shape it changes is skipped.
import { z } from 'zod';
import type { Usage } from '../../models/types.js';
import { clip } from '../claude-code/messages.js';
import type { SessionEvent } from '../types.js';
import { FileUpdate } from './approvals.js';

const Item = z
  .object({
    type: z.string(),
    id: z.string(),
    text: z.string().nullish(),
    command: z.string().nullish(),
    aggregatedOutput: z.string().nullish(),
    exitCode: z.number().nullish(),
    status: z.string().nullish(),
    changes: z.array(FileUpdate).nullish(),
    summary: z.array(z.string()).nullish(),
  })
  .loose();

const ItemNotification = z.object({ item: Item }).loose();

const Breakdown = z
  .object({
    inputTokens: z.number().default(0),
    cachedInputTokens: z.number().default(0),
    outputTokens: z.number().default(0),
  })
  .loose();
const TokenUsage = z.object({ tokenUsage: z.object({ total: Breakdown }).loose() }).loose();

const TurnError = z.object({ message: z.string() }).loose();
const TurnCompleted = z
  .object({ turn: z.object({ status: z.string(), error: TurnError.nullish() }).loose() })
  .loose();
const ErrorNotification = z.object({ error: TurnError, willRetry: z.boolean().optional() }).loose();

/** What one notification means for the session. */
export interface CodexNotice {
  event?: SessionEvent | undefined;
  /** An agent message: the latest one is the session's answer. */
  answer?: string | undefined;
  /** A file change Codex is about to ask to apply: its files, by item id. */
  fileChange?: { itemId: string; changes: FileUpdate[] } | undefined;
  /** The thread's token usage so far (each update is one model call). */
  usage?: Omit<Usage, 'costUsd'> | undefined;
  /** `turn/completed`: how the session's one turn ended. */
  completed?: { failure?: string | undefined } | undefined;
  /** An `error` notification: Codex also sends these while retrying, so fatal only if the turn fails. */
  problem?: string | undefined;
}

function itemEvent(item: z.infer<typeof Item>): CodexNotice {
  const type = `item.completed/${item.type}`;
  switch (item.type) {
    case 'agentMessage':
      return { event: { type, text: clip(item.text ?? '') }, answer: item.text ?? '' };
    case 'commandExecution':
      return {
        event: {
          type,
          tool: 'command_execution',
          input: { command: item.command },
          text: clip(item.aggregatedOutput ?? ''),
          isError: item.status !== 'completed' || (item.exitCode ?? 0) !== 0,
        },
      };
    case 'fileChange':
      return {
        event: {
          type,
          tool: 'file_change',
          input: { changes: (item.changes ?? []).map((c) => ({ path: c.path, kind: c.kind.type })) },
          isError: item.status !== 'completed',
          ...(item.status !== 'completed' ? { text: item.status ?? undefined } : {}),
        },
      };
    case 'userMessage':
      return {}; // the prompt nightshift sent: already in the run's input
    case 'reasoning':
      return { event: { type, text: clip((item.summary ?? []).join('\n')) } };
    default:
      return { event: { type, text: clip(item.text ?? '') } };
  }
}

export function readCodexNotification(method: string, params: unknown): CodexNotice {
  switch (method) {
    case 'item/started': {
      const parsed = ItemNotification.safeParse(params);
      if (!parsed.success || parsed.data.item.type !== 'fileChange') return {};
      return { fileChange: { itemId: parsed.data.item.id, changes: parsed.data.item.changes ?? [] } };
    }
    case 'item/completed': {
      const parsed = ItemNotification.safeParse(params);
      return parsed.success ? itemEvent(parsed.data.item) : {};
    }
    case 'thread/tokenUsage/updated': {
      const parsed = TokenUsage.safeParse(params);
      if (!parsed.success) return {};
      const t = parsed.data.tokenUsage.total;
      return {
        usage: {
          inputTokens: t.inputTokens,
          outputTokens: t.outputTokens,
          cachedInputTokens: t.cachedInputTokens,
        },
      };
    }
    case 'turn/completed': {
      const parsed = TurnCompleted.safeParse(params);
      if (!parsed.success) return { completed: { failure: 'turn/completed in an unknown shape' } };
      const { status, error } = parsed.data.turn;
      const failure = status === 'completed' ? undefined : (error?.message ?? `the turn ended ${status}`);
      return {
        event: { type: `turn.${status}`, ...(failure ? { text: failure, isError: true } : {}) },
        completed: { failure },
      };
    }
    case 'error': {
      const parsed = ErrorNotification.safeParse(params);
      if (!parsed.success) return {};
      const { message } = parsed.data.error;
      return { event: { type: 'error', text: message, isError: true }, problem: message };
    }
    default:
      return {};
  }
}
