// The client side of MCP's stdio transport, for a server nightshift starts, with the server in a process
// group of its own. The SDK's StdioClientTransport signals only the process it spawned: a server started
// through a wrapper (`npx ...`, `sh -c '...'`, `uv run ...`) lived on after that wrapper was killed, held
// the pipes open, and kept `nightshift run` from ever exiting after its run had finished. And when
// nightshift itself was SIGKILLed, a server that does not exit at the end of its stdin (a timer, a
// database pool) stayed running with nobody to end it. Here the whole group is signalled on close, and a
// watcher (group-lifeline.ts, as for unsandboxed commands) kills it when nightshift dies however it dies.
// The server is spawned behind the same gate as an unsandboxed command (spawnUnsandboxed): it starts only
// once the watcher knows its group, so a nightshift SIGKILLed in the instant after the spawn leaves nothing
// running (before, such a server lived on until its stdin closed, and forever if it ignored that).
// The framing is the SDK's own (ReadBuffer, serializeMessage), so messages and size limits are unchanged.
import type { ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { spawnUnsandboxed } from '../builtin/group-lifeline.js';
import { killMarked, newProcessMarker } from '../builtin/process-marker.js';

/** How long a server gets to exit after its stdin ends, then after SIGTERM (as the SDK's transport). */
const GRACE_MS = 2_000;

export interface GroupStdioParams {
  command: string;
  args: string[];
  cwd: string;
  /** Added to the few variables the SDK always passes (HOME, LOGNAME, PATH, SHELL, TERM, USER). */
  env: Record<string, string>;
  /** Runs between the spawn and the watcher being told, for tests that kill this process there. */
  afterSpawn?: () => void;
}

const within = (p: Promise<void>, ms: number) =>
  Promise.race([p.then(() => true), new Promise<false>((resolve) => setTimeout(resolve, ms, false).unref())]);

export class GroupStdioClientTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** The server's stderr, handed out before start so nothing it writes early is lost. */
  readonly stderr = new PassThrough();
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private stopWatcher: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  private ended = false;
  private readonly buffer = new ReadBuffer();
  /** In the environment of every process of this server, even one that left its group (process-marker.ts). */
  private readonly marker = newProcessMarker();

  constructor(private readonly params: GroupStdioParams) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): Promise<void> {
    if (this.child) throw new Error('this MCP stdio transport was already started');
    return new Promise<void>((resolve, reject) => {
      let child: ChildProcess;
      try {
        // Its own process group (a close or the watcher ends everything the server started), behind the
        // gate: the server's program runs only once the watcher knows that group. A command that cannot be
        // executed is the gate's exit (127 or 126, the shell's message on stderr), not a spawn error.
        const started = spawnUnsandboxed(
          this.params.command,
          this.params.args,
          {
            cwd: this.params.cwd,
            env: { ...getDefaultEnvironment(), ...this.params.env, [this.marker.name]: this.marker.value },
          },
          this.params.afterSpawn,
          this.marker.line,
        );
        child = started.child;
        this.stopWatcher = started.stop;
      } catch (err) {
        reject(err);
        return;
      }
      this.child = child;
      // 'close' comes once the process has exited and every pipe is closed: a grandchild that still holds
      // stdout (the server behind a wrapper) delays it, so it means the whole server is gone.
      this.exited = new Promise<void>((done) => child.once('close', () => done()));
      child.on('error', (err) => {
        reject(err);
        this.onerror?.(err);
      });
      child.once('spawn', () => resolve());
      void this.exited.then(() => this.finish());
      child.stdin?.on('error', (err) => this.onerror?.(err));
      child.stdout?.on('data', (chunk: Buffer) => {
        try {
          this.buffer.append(chunk);
        } catch (err) {
          // Over the SDK's 10 MiB message limit: the connection is given up, as the SDK's transport does.
          this.onerror?.(err as Error);
          void this.close().catch(() => {});
          return;
        }
        this.readMessages();
      });
      child.stdout?.on('error', (err) => this.onerror?.(err));
      child.stderr?.pipe(this.stderr);
    });
  }

  private readMessages(): void {
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (err) {
        this.onerror?.(err as Error);
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }

  /** Once the server is gone: what is left of its group goes too, and the watcher with it. */
  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    this.signalGroup('SIGKILL');
    // What left the group (setsid, a daemon's double fork) still carries the marker.
    killMarked(this.marker.line);
    this.stopWatcher?.();
    this.buffer.clear();
    this.onclose?.();
  }

  private signalGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid;
    if (!pid) return;
    try {
      process.kill(-pid, signal);
    } catch {
      // ESRCH: the group is already empty.
    }
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (!stdin || this.closing || this.ended) return Promise.reject(new Error('Not connected'));
    return new Promise<void>((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  /** Ends stdin, then signals the group (SIGTERM, then SIGKILL), each after GRACE_MS; never hangs. */
  close(): Promise<void> {
    const child = this.child;
    if (!child) return Promise.resolve();
    this.closing ??= (async () => {
      try {
        child.stdin?.end();
      } catch {}
      if (await within(this.exited, GRACE_MS)) return;
      this.signalGroup('SIGTERM');
      if (await within(this.exited, GRACE_MS)) return;
      this.signalGroup('SIGKILL');
      if (await within(this.exited, GRACE_MS)) return;
      // A process that left the group (setsid) still holds the pipes: let go of them.
      child.stdout?.destroy();
      child.stderr?.destroy();
      await within(this.exited, GRACE_MS);
      this.finish();
    })();
    return this.closing;
  }
}
