// The stdio transport of `nightshift mcp`: one JSON-RPC message per line, as the SDK's StdioServerTransport
// reads them, but a line that is not one gets the error JSON-RPC 2.0 asks for (-32700 for text that is not
// JSON, -32600 for JSON that is not a request, notification or response) and the next line is read as
// usual. The SDK's transport hands such a line to `onerror` and answers nothing, so a client that sent a
// request with a typo waits for an answer that never comes.
//
// When stdin ends, the session ends once every request read has been answered and every answer written
// (a last line without its newline is read too): `printf '<requests>' | nightshift mcp` gets all its
// answers. Closing at once, as the SDK's transport does, made the SDK abort the handlers still running
// and drop their answers (a runs.start waiting for its run: the run started, its runId never came).
import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  ErrorCode,
  isJSONRPCErrorResponse,
  isJSONRPCNotification,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type JSONRPCMessage,
} from '@modelcontextprotocol/sdk/types.js';
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
  /** Writes waiting for a drain, released together by one drain listener, or when the output goes. */
  private readonly waiting = new Set<(err?: Error) => void>();
  /** Requests read and not answered yet, by id (a count: a client may reuse an id). */
  private readonly unanswered = new Map<string | number, number>();
  /** Writes not yet handed to the operating system (their callback has not come). */
  private writing = 0;
  /** stdin ended: the session closes when nothing is unanswered or being written. */
  private ended = false;

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
    this.output.off('drain', this.ondrain);
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const release of waiting) release(this.gone);
    void this.close();
  };
  private readonly onoutputclose = () => this.onoutputgone();
  private readonly ondrain = () => {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const release of waiting) release();
  };
  private readonly onend = () => {
    // A last line without its newline is a line too (`printf '{...}' | nightshift mcp`).
    if (!this.skipping && this.buffered > 0) {
      const line = Buffer.concat(this.chunks).toString('utf8');
      this.chunks = [];
      this.buffered = 0;
      this.line(line);
    }
    this.ended = true;
    this.closeWhenDone();
  };

  /** After stdin ended: closes once every request read is answered and every answer written. */
  private closeWhenDone(): void {
    if (this.ended && this.unanswered.size === 0 && this.writing === 0) void this.close();
  }

  private answered(id: string | number): void {
    const left = (this.unanswered.get(id) ?? 0) - 1;
    if (left > 0) this.unanswered.set(id, left);
    else this.unanswered.delete(id);
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('the stdio transport was started twice');
    this.started = true;
    this.input.on('data', this.ondata);
    this.input.on('error', this.onstreamerror);
    this.input.on('end', this.onend);
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
    const message = checked.message;
    if (isJSONRPCRequest(message)) {
      // Counted before the SDK sees it: it may answer at once, from inside onmessage.
      this.unanswered.set(message.id, (this.unanswered.get(message.id) ?? 0) + 1);
    } else if (isJSONRPCNotification(message) && message.method === 'notifications/cancelled') {
      // A cancelled request gets no answer (the SDK drops it): nothing to wait for.
      const id = (message.params as { requestId?: unknown } | undefined)?.requestId;
      if (typeof id === 'string' || typeof id === 'number') this.unanswered.delete(id);
    }
    this.onmessage?.(message);
    this.closeWhenDone();
  }

  private reply(id: Id, code: number, message: string): void {
    this.write({ jsonrpc: '2.0', id, error: { code, message } }).catch((err: Error) => this.onerror?.(err));
  }

  private write(message: object): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.gone) return reject(this.gone);
      this.writing++;
      const written = () => {
        this.writing--;
        this.closeWhenDone();
      };
      if (this.output.write(`${JSON.stringify(message)}\n`, written)) return resolve();
      // One drain listener for all the writes waiting (one each warned past 10 of them).
      if (this.waiting.size === 0) this.output.once('drain', this.ondrain);
      this.waiting.add((err?: Error) => (err ? reject(err) : resolve()));
    });
  }

  send(message: JSONRPCMessage): Promise<void> {
    const sent = this.write(message);
    // Counted as answered now: the write itself is waited for until it is out.
    if (isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message))
      if (message.id !== undefined) this.answered(message.id);
    return sent;
  }

  private closed = false;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.ondata);
    this.input.off('error', this.onstreamerror);
    this.input.off('end', this.onend);
    this.output.off('error', this.onoutputgone);
    this.output.off('close', this.onoutputclose);
    // Paused only when nothing else reads it (as the SDK's transport does).
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.chunks = [];
    this.buffered = 0;
    this.onclose?.();
  }
}
