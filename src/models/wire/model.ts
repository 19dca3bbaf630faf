// A nightshift Model over a provider's HTTP API (protocol.ts says what each protocol supplies). One turn is
// one streamed request: nightshift's engine owns the loop. Around it: the tool-name mapping, retries with
// backoff on 429/5xx, the request timeout, usage and cost, and errors that name the provider, the model and
// the HTTP status but never the key.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { NightshiftError } from '../../errors.js';
import type { ToolSpec } from '../../tools/types.js';
import { DEFAULT_HTTP_RETRY, type HttpRetryPolicy, retryAfterMs, retryDelay } from '../http-retry.js';
import { costOf, type PriceTable, priceOf } from '../pricing.js';
import { type ToolNameMap, toolNameMap } from '../tool-names.js';
import type { Model, ModelRequest, ModelResponse, ToolCallRequest } from '../types.js';
import { shownSpec } from './endpoint.js';
import { describeFailure, type Failure } from './failure.js';
import { streamTurn } from './post.js';
import type { WireProtocol } from './protocol.js';
import { DEFAULT_MAX_RESPONSE_BYTES, ResponseTooLarge } from './response-size.js';

/** What every API provider model takes, besides its model id. */
export interface ProviderModelSettings {
  /** Sent to the provider; kept out of every error message. */
  apiKey?: string | undefined;
  /** The API's base URL, as the provider's *_BASE_URL variable holds it. */
  baseUrl?: string | undefined;
  /** A fetch to use instead of the global one (a proxy agent, a test's recorder). */
  fetch?: typeof globalThis.fetch | undefined;
  /** Per attempt, until the whole answer has streamed in. Default 120 s. */
  timeoutMs?: number | undefined;
  /**
   * The most bytes one answer may send (per attempt, error bodies included); past it the turn fails with
   * MODEL_RESPONSE_TOO_LARGE, not retried. Default 32 MiB (response-size.ts).
   */
  maxResponseBytes?: number | undefined;
  /** Retries after a 429, a 5xx or a dropped connection. Default 2. */
  maxRetries?: number | undefined;
  /** The first backoff step in ms (doubling, capped at 8 s). Default 500; tests make it small. */
  retryBaseMs?: number | undefined;
  /** Prices overriding the default table, by model spec. */
  prices?: PriceTable | undefined;
  /**
   * Send the role's output schema to the provider as its structured-output setting (default true). Off for a
   * server that rejects it; the engine checks the final answer against the schema either way.
   */
  structuredOutput?: boolean | undefined;
}

export const DEFAULT_TIMEOUT_MS = 120_000;

export interface HttpModelOptions {
  /** e.g. `anthropic:claude-sonnet-4-5`; also the key of the price table. */
  spec: string;
  provider: string;
  modelId: string;
  /** The wire protocol the provider speaks, pointed at its URL with its credential. */
  protocol: WireProtocol;
  settings: ProviderModelSettings;
}

/** Tool names mapped once per tool list: the engine passes the same list every turn of a run. */
const namesOfTools = new WeakMap<readonly ToolSpec[], ToolNameMap>();
function namesFor(tools: readonly ToolSpec[]): ToolNameMap {
  let names = namesOfTools.get(tools);
  if (!names) {
    names = toolNameMap(tools.map((t) => t.name));
    namesOfTools.set(tools, names);
  }
  return names;
}

/**
 * The calls as the engine and the store need them: each with a string tool name and an id of its own in the
 * turn. A provider's call without an id (a compatible server that leaves out `call_id` or a tool_use `id`)
 * stopped the run on the store's NOT NULL with the run left `running`; two calls under one id would have
 * their results paired wrongly. Such a call gets a fresh id, which its result is sent back under.
 */
function wellFormed(calls: ToolCallRequest[]): ToolCallRequest[] {
  const seen = new Set<string>();
  for (const call of calls) {
    if (typeof call.id !== 'string' || call.id === '' || seen.has(call.id)) call.id = `call_${randomUUID()}`;
    if (typeof call.tool !== 'string') call.tool = '';
    seen.add(call.id);
  }
  return calls;
}

export function createHttpModel(options: HttpModelOptions): Model {
  const { spec, provider, modelId, settings } = options;
  // What messages say: a base URL in the spec (openai-compatible:) without its `user:password@`.
  const shown = shownSpec(spec);
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResponseBytes = settings.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  // The config file's zod schema checks it; a library caller's value is checked here, before any turn.
  if (!Number.isSafeInteger(maxResponseBytes) || maxResponseBytes < 1)
    throw new NightshiftError(
      'MODEL_CONFIG',
      `model ${shown}: maxResponseBytes must be a positive whole number of bytes, not ${String(maxResponseBytes)}`,
    );
  const policy: HttpRetryPolicy = {
    maxRetries: settings.maxRetries ?? DEFAULT_HTTP_RETRY.maxRetries,
    baseMs: settings.retryBaseMs ?? DEFAULT_HTTP_RETRY.baseMs,
  };
  const priced = priceOf(spec, settings.prices) !== undefined;

  const fail = (failure: Failure, attempts: number, note = ''): NightshiftError =>
    new NightshiftError(
      failure.code ?? 'MODEL_ERROR',
      `model ${shown} failed: ${failure.summary}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}${note}`,
      {
        cause: failure.cause,
        retryable: failure.retryable,
        details: {
          provider,
          modelId,
          status: failure.status,
          providerErrorType: failure.providerType,
          attempts,
          // Also here for `--json` output and logs; the engine reads the typed field above.
          retryable: failure.retryable,
        },
      },
    );

  return {
    spec,
    provider,
    priced,
    async turn(request: ModelRequest): Promise<ModelResponse> {
      const wire = {
        request,
        names: namesFor(request.tools),
        structuredOutput: settings.structuredOutput !== false,
      };
      // Without a fetch of its own, node:http(s): a turn in flight costs a third of what fetch holds (http-post.ts).
      const fetchImpl = settings.fetch;
      for (let attempts = 1; ; attempts++) {
        // One controller and one timer per attempt (not AbortSignal.timeout + AbortSignal.any: two more
        // signals, each a transferable object, on every turn).
        const attempt = new AbortController();
        let timedOut = false;
        const timer = setTimeout(() => {
          timedOut = true;
          attempt.abort(new Error(`no complete answer within ${timeoutMs} ms`));
        }, timeoutMs);
        const onCancel = () => attempt.abort(request.signal?.reason);
        request.signal?.addEventListener('abort', onCancel, { once: true });
        if (request.signal?.aborted) onCancel();
        let failure: Failure;
        try {
          const turn = await streamTurn(
            options.protocol,
            wire,
            attempt.signal,
            fetchImpl,
            maxResponseBytes,
            settings.apiKey,
          );
          const { costUsd } = costOf(spec, turn.usage, settings.prices);
          return {
            text: turn.text,
            calls: wellFormed(turn.calls),
            // The cache-write count only prices the turn: the run's usage keeps the three counts it records.
            usage: {
              inputTokens: turn.usage.inputTokens,
              outputTokens: turn.usage.outputTokens,
              // A gateway may report more cached tokens than the prompt had: the cached part of it, at most.
              cachedInputTokens: Math.min(turn.usage.cachedInputTokens, turn.usage.inputTokens),
              costUsd,
            },
            stopReason: turn.stopReason,
            modelId: turn.modelId ?? modelId,
          };
        } catch (err) {
          // The flood may still be arriving (a decoded body let go does not close its socket): stop it.
          if (err instanceof ResponseTooLarge) attempt.abort(err);
          failure = describeFailure(err, {
            timedOut,
            cancelled: request.signal?.aborted === true,
            timeoutMs,
            secret: settings.apiKey,
          });
        } finally {
          clearTimeout(timer);
          request.signal?.removeEventListener('abort', onCancel);
        }
        if (!failure.retryable || attempts > policy.maxRetries) throw fail(failure, attempts);
        const delay = retryDelay(attempts, policy, failure.headers, Date.now());
        if ('tooLong' in delay) {
          throw fail(
            failure,
            attempts,
            `; the provider asked to retry after ${Math.round(delay.tooLong / 1000)} s, longer than nightshift waits`,
          );
        }
        request.onRetryWait?.({
          provider,
          status: failure.status,
          providerErrorType: failure.providerType,
          waitMs: delay.waitMs,
          retryAfter: retryAfterMs(failure.headers, Date.now()) !== undefined,
          attempts,
        });
        try {
          await sleep(delay.waitMs, undefined, request.signal ? { signal: request.signal } : undefined);
        } catch {
          throw fail(
            { ...failure, summary: `cancelled while waiting to retry after ${failure.summary}` },
            attempts,
          );
        }
      }
    },
  };
}
