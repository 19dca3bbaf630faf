// What the fake LLM servers (fake-anthropic.ts, fake-openai.ts) have in common: the per-test script of
// answers, the record of what they received, and a protocol-neutral reading of a received request, so one
// contract suite (test/contract/model.ts) can check any provider's wire format.
import { createServer, type IncomingMessage, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeAnswer =
  | {
      text?: string;
      /** Provider-side tool names (e.g. `fs_read`), as the model would emit them. */
      calls?: { name: string; input: unknown }[];
      /** `input` is the whole prompt, cached part included; `cacheRead` is the cached part. */
      usage?: { input?: number; output?: number; cacheRead?: number };
      /** Ends the stream with the provider's in-stream error event after `text`, instead of finishing. */
      streamError?: { type: string; message: string };
    }
  | { status: number; retryAfter?: number; message?: string };

export interface FakeRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A received request, read the same way whatever the provider. */
export interface ReceivedTurn {
  /** The credential the client sent (x-api-key or the bearer token). */
  apiKey: string | undefined;
  /** Tool names offered to the model. */
  toolNames: string[];
  /** Tool calls of earlier assistant turns, in order. */
  toolCalls: { id: string; name: string; input: unknown }[];
  /** Tool results sent back, in order; `isError` where the protocol has such a flag. */
  toolResults: { callId: string; content: string; isError?: boolean | undefined }[];
}

export interface FakeServer {
  /** Base URL, as the provider's `*_BASE_URL` variable would hold it. */
  url: string;
  requests: FakeRequest[];
  enqueue(...answers: FakeAnswer[]): void;
  read(request: FakeRequest): ReceivedTurn;
  close(): Promise<void>;
}

export async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}

/** Splits a string into n roughly equal pieces, as a streaming API would. */
export function pieces(text: string, n: number): string[] {
  const size = Math.max(1, Math.ceil(text.length / n));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** Starts a server on a free loopback port; returns its origin and a close that drops open streams. */
export async function listen(
  handler: RequestListener,
): Promise<{ server: Server; origin: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
