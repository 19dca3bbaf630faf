// A nightshift Model over an AI SDK LanguageModelV3 (the interface every @ai-sdk provider package
// implements). One turn is one streamed `doStream` call: no AI SDK loop, nightshift's engine owns the loop.
// Around it: the tool-name mapping, retries with backoff on 429/5xx, the request timeout, usage and cost,
// and errors that name the provider, the model and the HTTP status but never the key.
import { setTimeout as sleep } from 'node:timers/promises';
import type { LanguageModelV3, LanguageModelV3CallOptions, SharedV3ProviderOptions } from '@ai-sdk/provider';
import { NightshiftError } from '../../errors.js';
import { DEFAULT_HTTP_RETRY, type HttpRetryPolicy, retryDelay } from '../http-retry.js';
import { costOf, type PriceTable, priceOf } from '../pricing.js';
import { toolNameMap } from '../tool-names.js';
import type { Model, ModelRequest, ModelResponse } from '../types.js';
import { collectTurn } from './collect.js';
import { describeFailure, type Failure } from './failure.js';
import { toPrompt, toTools } from './prompt.js';

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

export interface AiSdkModelOptions {
  /** e.g. `anthropic:claude-sonnet-4-5`; also the key of the price table. */
  spec: string;
  provider: string;
  modelId: string;
  /**
   * Builds the provider's LanguageModelV3, on the first turn. The provider packages are imported only then, so
   * a process that never calls an API model does not load them (about 40 ms of start-up).
   */
  load: () => Promise<LanguageModelV3>;
  settings: ProviderModelSettings;
  /** The provider package's own options for every call (`{ openai: { store: false } }`). */
  providerOptions?: SharedV3ProviderOptions | undefined;
}

/**
 * The role's output schema as the AI SDK's JSON response format; each provider package turns it into its own
 * setting (Anthropic `output_config.format`, OpenAI `text.format` / `response_format` json_schema).
 */
function responseFormat(schema: Record<string, unknown>): LanguageModelV3CallOptions['responseFormat'] {
  // The role's schema is JSON Schema by contract (ajv compiled it when the role loaded).
  return { type: 'json', name: 'output', schema: schema as { type: 'object' } };
}

export function createAiSdkModel(options: AiSdkModelOptions): Model {
  const { spec, provider, modelId, settings } = options;
  const timeoutMs = settings.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const policy: HttpRetryPolicy = {
    maxRetries: settings.maxRetries ?? DEFAULT_HTTP_RETRY.maxRetries,
    baseMs: settings.retryBaseMs ?? DEFAULT_HTTP_RETRY.baseMs,
  };
  const priced = priceOf(spec, settings.prices) !== undefined;
  let languageModel: Promise<LanguageModelV3> | undefined;

  const fail = (failure: Failure, attempts: number, note = ''): NightshiftError =>
    new NightshiftError(
      'MODEL_ERROR',
      `model ${spec} failed: ${failure.summary}${attempts > 1 ? ` (after ${attempts} attempts)` : ''}${note}`,
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

  async function streamOnce(call: LanguageModelV3CallOptions, names: ReturnType<typeof toolNameMap>) {
    languageModel ??= options.load();
    const { stream } = await (await languageModel).doStream(call);
    return collectTurn(stream, names);
  }

  return {
    spec,
    provider,
    priced,
    async turn(request: ModelRequest): Promise<ModelResponse> {
      const names = toolNameMap(request.tools.map((t) => t.name));
      const call: Omit<LanguageModelV3CallOptions, 'abortSignal'> = {
        prompt: toPrompt(request, names),
        tools: toTools(request.tools, names),
        ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
        ...(request.outputSchema && settings.structuredOutput !== false
          ? { responseFormat: responseFormat(request.outputSchema) }
          : {}),
        ...(options.providerOptions ? { providerOptions: options.providerOptions } : {}),
      };
      for (let attempts = 1; ; attempts++) {
        const attempt = attemptSignal(timeoutMs, request.signal);
        let failure: Failure;
        try {
          const turn = await streamOnce({ ...call, abortSignal: attempt.signal }, names);
          const { costUsd } = costOf(spec, turn.usage, settings.prices);
          return {
            text: turn.text,
            calls: turn.calls,
            usage: { ...turn.usage, costUsd },
            stopReason: turn.stopReason,
            modelId: turn.modelId ?? modelId,
          };
        } catch (err) {
          failure = describeFailure(err, {
            timedOut: attempt.timedOut(),
            cancelled: request.signal?.aborted === true,
            timeoutMs,
            secret: settings.apiKey,
          });
        } finally {
          attempt.done();
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

/**
 * One attempt's signal: aborted after `timeoutMs` or when `outer` is. Built from a timer cleared and a
 * listener removed when the attempt ends (`done`), so nothing of a finished turn stays alive:
 * `AbortSignal.timeout` keeps its signal (and, through `AbortSignal.any`, the combined one) until the
 * timeout fires, i.e. every turn of the last two minutes, which is most of the memory of a worker with
 * thousands of runs in flight (bench/in-flight.ts, decision 040).
 */
function attemptSignal(timeoutMs: number, outer: AbortSignal | undefined) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, timeoutMs);
  const follow = () => controller.abort(outer?.reason);
  if (outer?.aborted) follow();
  else outer?.addEventListener('abort', follow, { once: true });
  return {
    signal: controller.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', follow);
    },
  };
}
