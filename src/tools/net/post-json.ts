// A JSON POST to a destination the role fixed (never one the model chose), with a time limit and an
// answer size cap. Used by the notify tools.
import { toolFailed, toolTimeout } from '../failures.js';

/** The most of an answer that is read; a longer one is cut (`truncated`), never a failure by itself. */
export const ANSWER_LIMIT = 1024 * 1024;

export interface PostAnswer {
  status: number;
  /** The answer's first ANSWER_LIMIT bytes, decoded as UTF-8. */
  text: string;
  /** The answer was longer than ANSWER_LIMIT and was cut. */
  truncated: boolean;
}

/** Reads a body up to `limit` bytes, then stops reading (the rest is discarded, the stream cancelled). */
async function readCapped(
  res: globalThis.Response,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!res.body) return { text: '', truncated: false };
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.length;
    if (size > limit) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  // A character cut in half at the cap is dropped by the decoder's stream mode rather than mangled.
  const bytes = Buffer.concat(chunks).subarray(0, limit);
  return { text: new TextDecoder('utf-8').decode(bytes, { stream: truncated }), truncated };
}

export async function postJson(
  url: string,
  body: unknown,
  options: { headers?: Record<string, string>; timeoutMs: number; signal: AbortSignal; what: string },
): Promise<PostAnswer> {
  const text = JSON.stringify(body);
  let res: globalThis.Response;
  const failure = (err: unknown): Error => {
    const e = err as Error & { cause?: { code?: string } };
    if (e.name === 'TimeoutError')
      return toolTimeout(`${options.what}: no answer within ${options.timeoutMs} ms`);
    return toolFailed(`${options.what}: ${e.cause?.code ?? e.message}`);
  };
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...options.headers },
      body: text,
      redirect: 'error',
      signal: AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]),
    });
  } catch (err) {
    throw failure(err);
  }
  const answer = await readCapped(res, ANSWER_LIMIT).catch((err: unknown) => {
    throw failure(err);
  });
  if (!res.ok) throw toolFailed(`${options.what}: HTTP ${res.status} ${answer.text.slice(0, 200)}`);
  return { status: res.status, ...answer };
}
