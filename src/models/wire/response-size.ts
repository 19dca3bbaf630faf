// The cap on how much one provider answer may send: a misbehaving provider, or a hostile OpenAI-compatible
// endpoint, can stream deltas forever or send a giant body (a 200 that is no event stream, an error page),
// and everything read is held until the turn ends (the text, the parser's unfinished line, the error body).
// Counted on the body's bytes as they arrive, after any content-encoding is undone (a small gzip bomb
// counts what it inflates to), for each attempt of a turn.

/** Default `maxResponseBytes`: 32 MiB, far above any real answer (16k output tokens are ~100 KB of deltas). */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;

/**
 * Thrown by post.ts once an answer passes the cap; the connection is let go. Not transient: the same request
 * would get the same flood again, so it is neither retried within the turn nor by job-mode run retries.
 */
export class ResponseTooLarge extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(
      `the answer passed ${limit} bytes (maxResponseBytes) and was cut off; a provider that streams without end or sends a giant body`,
    );
    this.name = 'ResponseTooLarge';
    this.limit = limit;
  }
}

/** Counts an answer's bytes against `limit`; `add` throws ResponseTooLarge once they pass it. */
export function byteBudget(limit: number): { add(bytes: number): void } {
  let total = 0;
  return {
    add(bytes) {
      total += bytes;
      if (total > limit) throw new ResponseTooLarge(limit);
    },
  };
}
