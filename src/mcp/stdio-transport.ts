// The stdio transport of `nightshift mcp`: one JSON-RPC message per line, as the SDK's StdioServerTransport
// reads them, but a line that is not one gets the error JSON-RPC 2.0 asks for (-32700 for text that is not
// JSON, -32600 for JSON that is not a request, notification or response) and the next line is read as
// usual. The SDK's transport hands such a line to `onerror` and answers nothing, so a client that sent a
// request with a typo waits for an answer that never comes.
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { type Id, invalidMessage } from './jsonrpc-invalid.js';

/** The longest line read (as the SDK's default buffer): a longer one is skipped and answered -32700. */
export const MAX_LINE_BYTES = 10 * 1024 * 1024;

export class StdioJsonRpcTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Skipping the rest of a line that grew past MAX_LINE_BYTES, up to its newline. */
  private skipping = false;
  private started = false;
  /** Why the output can take no more (the client closed its end of the pipe): nothing more is sent. */
  private gone: Error | undefined;
  /** Writes waiting for a drain, released when the output goes instead. */
  private readonly waiting = new Set<(err?: Error) => void>();

  constructor(
    private readonly input: Readable,
    private readonly output: Writable,
  ) {}

  private readonly ondata = (chunk: Buffer) => this.take(chunk);
  private readonly onstreamerror = (error: Error) => this.onerror?.(error);
  /**
   * The output failed (EPIPE: the client closed its end, maybe keeping stdin open) or closed: no answer
   * can reach the client any more, so the session is over, as when stdin ends. Without this, a write
   * waiting for a drain that never comes waited forever, and the server stayed up answering no one.
   */
  private readonly onoutputgone = (error?: Error) => {
    if (this.gone) return;
    this.gone = new Error(`the MCP client stopped reading stdout${error ? `: ${error.message}` : ''}`);
    for (const release of this.waiting) release(this.gone);
    this.waiting.clear();
    void this.close();
  };
  private readonly onoutputclose = () => this.onoutputgone();

  async start(): Promise<void> {
    if (this.started) throw new Error('the stdio transport was started twice');
    this.started = true;
    this.input.on('data', this.ondata);
    this.input.on('error', this.onstreamerror);
    this.output.on('error', this.onoutputgone);
    this.output.on('close', this.onoutputclose);
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
    const checked = invalidMessage(value);
    if (!checked.ok) {
      this.reply(checked.id, ErrorCode.InvalidRequest, checked.message);
      return;
    }
    this.onmessage?.(checked.message);
  }

  private reply(id: Id, code: number, message: string): void {
    this.write({ jsonrpc: '2.0', id, error: { code, message } }).catch((err: Error) => this.onerror?.(err));
  }

  private write(message: object): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.gone) return reject(this.gone);
      if (this.output.write(`${JSON.stringify(message)}\n`)) return resolve();
      const release = (err?: Error) => {
        this.output.off('drain', drained);
        this.waiting.delete(release);
        if (err) reject(err);
        else resolve();
      };
      const drained = () => release();
      this.waiting.add(release);
      this.output.once('drain', drained);
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(message);
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.ondata);
    this.input.off('error', this.onstreamerror);
    this.output.off('error', this.onoutputgone);
    this.output.off('close', this.onoutputclose);
    // Paused only when nothing else reads it (as the SDK's transport does).
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.chunks = [];
    this.buffered = 0;
    this.onclose?.();
  }
}
