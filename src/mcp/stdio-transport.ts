// The stdio transport of `nightshift mcp`: one JSON-RPC message per line, as the SDK's StdioServerTransport
// reads them, but a line that is not one gets the error JSON-RPC 2.0 asks for (-32700 for text that is not
// JSON, -32600 for JSON that is not a request, notification or response) and the next line is read as
// usual. The SDK's transport hands such a line to `onerror` and answers nothing, so a client that sent a
// request with a typo waits for an answer that never comes.
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

/** The longest line read (as the SDK's default buffer): a longer one is skipped and answered -32700. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

type Id = string | number | null;

/** Why a parsed value is not a JSON-RPC message, in one short sentence (the first rule it breaks). */
function whyInvalid(value: unknown): string {
  if (Array.isArray(value)) return 'batches are not supported: send one message per line';
  if (value === null || typeof value !== 'object') return 'a message is a JSON object';
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if ('id' in m && typeof m.id !== 'string' && typeof m.id !== 'number')
    return 'id must be a string or a number';
  if ('method' in m && typeof m.method !== 'string') return 'method must be a string';
  if ('params' in m && (m.params === null || typeof m.params !== 'object' || Array.isArray(m.params)))
    return 'params must be an object (MCP passes parameters by name)';
  return 'not a JSON-RPC 2.0 request, notification or response';
}

/** The id to answer an invalid message with: its own when it has a usable one, else null (as the spec says). */
function idOf(value: unknown): Id {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  const id = (value as { id?: unknown }).id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

export class StdioJsonRpcTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Skipping the rest of a line that grew past MAX_LINE_BYTES, up to its newline. */
  private skipping = false;
  private started = false;

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {}

  private readonly ondata = (chunk: Buffer) => this.take(chunk);
  private readonly onstreamerror = (error: Error) => this.onerror?.(error);

  async start(): Promise<void> {
    if (this.started) throw new Error('the stdio transport was started twice');
    this.started = true;
    this.input.on('data', this.ondata);
    this.input.on('error', this.onstreamerror);
  }

  private take(chunk: Buffer): void {
    let rest = chunk;
    for (let nl = rest.indexOf(0x0a); nl !== -1; nl = rest.indexOf(0x0a)) {
      const tail = rest.subarray(0, nl);
      rest = rest.subarray(nl + 1);
      const tooLong = this.skipping || this.buffered + tail.length > MAX_LINE_BYTES;
      const line = tooLong ? '' : Buffer.concat([...this.chunks, tail]).toString('utf8');
      this.chunks = [];
      this.buffered = 0;
      this.skipping = false;
      if (tooLong)
        this.reply(
          null,
          ErrorCode.ParseError,
          `Parse error: a line over ${MAX_LINE_BYTES} bytes was skipped`,
        );
      else this.line(line);
    }
    if (this.skipping || rest.length === 0) return;
    if (this.buffered + rest.length > MAX_LINE_BYTES) {
      // Dropped now, not when its newline comes: a client that never sends one cannot fill the memory.
      this.chunks = [];
      this.buffered = 0;
      this.skipping = true;
      return;
    }
    this.chunks.push(rest);
    this.buffered += rest.length;
  }

  private line(raw: string): void {
    const text = raw.replace(/\r$/, '');
    // A blank line carries no message (some clients end with an extra newline): nothing to answer.
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.reply(null, ErrorCode.ParseError, `Parse error: ${(err as Error).message}`);
      return;
    }
    const message = JSONRPCMessageSchema.safeParse(value);
    if (!message.success) {
      this.reply(idOf(value), ErrorCode.InvalidRequest, `Invalid Request: ${whyInvalid(value)}`);
      return;
    }
    this.onmessage?.(message.data as JSONRPCMessage);
  }

  private reply(id: Id, code: number, message: string): void {
    this.write({ jsonrpc: '2.0', id, error: { code, message } }).catch((err: Error) => this.onerror?.(err));
  }

  private write(message: object): Promise<void> {
    return new Promise((resolve) => {
      if (this.output.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(message);
  }

  async close(): Promise<void> {
    this.input.off('data', this.ondata);
    this.input.off('error', this.onstreamerror);
    // Paused only when nothing else reads it (as the SDK's transport does).
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.chunks = [];
    this.buffered = 0;
    this.onclose?.();
  }
}
