// One bridge from the AI SDK's LanguageModelV3 (the provider packages' common interface) to nightshift's
// Model: a single streamed turn (no AI SDK loop; nightshift owns the loop), retries on 429/5xx honouring
// retry-after, a request timeout, usage and cost.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LanguageModelV3, LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { NightshiftError } from '../../errors.js';
import { costOf, type Price } from '../pricing.js';
import { toolNameMap } from '../tool-names.js';
import type { Model, ModelRequest, ModelResponse, ToolCallRequest } from '../types.js';

export interface AdapterSettings {
  spec: string;
  provider: string;
  model: LanguageModelV3;
  price: Price | undefined;
  timeoutMs?: number | undefined;
  maxRetries?: number | undefined;
  /** Base delay of the exponential backoff (ms). */
  retryBaseMs?: number | undefined;
}

interface CallErrorLike {
  statusCode?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
  message: string;
  isRetryable?: boolean;
}

function retryDelay(err: CallErrorLike, attempt: number, base: number): number {
  const h = err.responseHeaders ?? {};
  const ms = Number(h['retry-after-ms']);
  if (Number.isFinite(ms) && ms >= 0) return Math.min(ms, 60_000);
  const s = Number(h['retry-after']);
  if (Number.isFinite(s) && s >= 0) return Math.min(s * 1000, 60_000);
  const exp = Math.min(base * 2 ** attempt, 8000);
  return exp / 2 + Math.random() * (exp / 2);
}

function retryable(err: CallErrorLike): boolean {
  const status = err.statusCode;
  if (status === 429 || (status !== undefined && status >= 500)) return true;
  return status === undefined && err.isRetryable === true;
}

export function toPrompt(request: ModelRequest, name: (n: string) => string): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = [{ role: 'system', content: request.system }];
  for (const m of request.messages) {
    if (m.role === 'user') prompt.push({ role: 'user', content: [{ type: 'text', text: m.content }] });
    else if (m.role === 'assistant') {
      const content: Extract<LanguageModelV3Prompt[number], { role: 'assistant' }>['content'] = [];
      // An empty assistant turn (the model answered nothing) must still say something: APIs reject empty content.
      if (m.text || m.calls.length === 0) content.push({ type: 'text', text: m.text || '(empty answer)' });
      for (const c of m.calls)
        content.push({ type: 'tool-call', toolCallId: c.id, toolName: name(c.tool), input: c.args ?? {} });
      prompt.push({ role: 'assistant', content });
    } else {
      const part = {
        type: 'tool-result' as const,
        toolCallId: m.callId,
        toolName: name(m.tool),
        output: m.isError
          ? { type: 'error-text' as const, value: m.content }
          : { type: 'text' as const, value: m.content },
      };
      const last = prompt[prompt.length - 1];
      // Results of one turn's calls go back together in one tool message.
      if (last?.role === 'tool') last.content.push(part);
      else prompt.push({ role: 'tool', content: [part] });
    }
  }
  return prompt;
}

/**
 * An error event inside a 200 stream. Providers pass the event's raw payload on (`{ type, message }`), not an
 * Error; an overload or server error there is as transient as a 529/5xx response (Anthropic documents
 * `overloaded_error` mid-stream), so it is retried like one.
 */
function streamError(error: unknown): unknown {
  if (error instanceof Error) return error;
  const e = (error ?? {}) as { type?: unknown; code?: unknown; message?: unknown };
  const kind = `${String(e.type ?? '')} ${String(e.code ?? '')}`;
  const message = typeof e.message === 'string' ? e.message : JSON.stringify(error);
  return Object.assign(new Error(message), {
    isRetryable: /overloaded|api_error|server_error|rate_limit/.test(kind),
  });
}

function parseArgs(text: string): unknown {
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    // Passed on as a string: the tool's schema check rejects it and the model is told why.
    return text;
  }
}

export function createAiSdkModel(settings: AdapterSettings): Model {
  const maxRetries = settings.maxRetries ?? 2;
  const timeoutMs = settings.timeoutMs ?? 120_000;
  const base = settings.retryBaseMs ?? 500;

  async function once(request: ModelRequest): Promise<ModelResponse> {
    const names = toolNameMap(request.tools.map((t) => t.name));
    const signals = [AbortSignal.timeout(timeoutMs), ...(request.signal ? [request.signal] : [])];
    const { stream } = await settings.model.doStream({
      prompt: toPrompt(request, names.toProvider),
      tools: request.tools.map((t) => ({
        type: 'function' as const,
        name: names.toProvider(t.name),
        description: t.description,
        inputSchema: t.inputSchema as never,
      })),
      ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
      abortSignal: AbortSignal.any(signals),
    });
    let text = '';
    const calls: ToolCallRequest[] = [];
    let usage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
    let stop: ModelResponse['stopReason'] = 'other';
    let modelId = settings.spec.slice(settings.spec.indexOf(':') + 1);
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const part = value as LanguageModelV3StreamPart;
      switch (part.type) {
        case 'text-delta':
          text += part.delta;
          break;
        case 'tool-call':
          calls.push({
            id: part.toolCallId,
            tool: names.fromProvider(part.toolName),
            args: parseArgs(part.input),
          });
          break;
        case 'response-metadata':
          if (part.modelId) modelId = part.modelId;
          break;
        case 'finish': {
          usage = {
            inputTokens: part.usage.inputTokens.total ?? 0,
            outputTokens: part.usage.outputTokens.total ?? 0,
            cachedInputTokens: part.usage.inputTokens.cacheRead ?? 0,
          };
          const u = part.finishReason.unified;
          stop =
            u === 'stop'
              ? 'end'
              : u === 'tool-calls'
                ? 'tool_calls'
                : u === 'length'
                  ? 'max_tokens'
                  : 'other';
          break;
        }
        case 'error':
          throw streamError(part.error);
        default:
          break;
      }
    }
    if (calls.length > 0 && stop === 'end') stop = 'tool_calls';
    return {
      text,
      calls,
      usage: { ...usage, costUsd: costOf(settings.price, usage) },
      stopReason: stop,
      modelId,
    };
  }

  return {
    spec: settings.spec,
    provider: settings.provider,
    async turn(request) {
      for (let attempt = 0; ; attempt++) {
        try {
          return await once(request);
        } catch (raw) {
          const err = raw as CallErrorLike;
          if (attempt < maxRetries && retryable(err) && !request.signal?.aborted) {
            await sleep(retryDelay(err, attempt, base));
            continue;
          }
          const status = err.statusCode ? ` (HTTP ${err.statusCode})` : '';
          const name =
            (raw as Error)?.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : err.message;
          throw new NightshiftError(
            'MODEL_ERROR',
            `${settings.spec}${status}: ${name}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''}`,
            { cause: raw },
          );
        }
      }
    },
  };
}
