// A client for `codex app-server`: JSON-RPC (one JSON object per line, no "jsonrpc" field) over the child's
// stdin and stdout. The prompt travels in a `turn/start` request on stdin, never in argv, where every
// local user could read it from /proc/<pid>/cmdline. Codex's approval requests come back as server
// requests, answered by `onRequest` (the executor's gate) while Codex waits.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';

const Message = z
  .object({
    id: z.union([z.string(), z.number()]).optional(),
    method: z.string().optional(),
    params: z.unknown().optional(),
    result: z.unknown().optional(),
    error: z.object({ message: z.string() }).loose().optional(),
  })
  .loose();

export interface AppServerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

export interface AppServerOptions {
  command: string;
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  /** A server request (an approval): its answer is sent back as the result. Throwing answers with an error. */
  onRequest(method: string, params: unknown): Promise<unknown>;
  /** A notification (item started or completed, token usage, turn completed, ...). */
  onNotification(method: string, params: unknown): Promise<void>;
}

export interface AppServer {
  request(method: string, params: unknown): Promise<unknown>;
  notify(method: string, params?: unknown): void;
  /** Settles when the child has exited (after stop() or on its own). */
  readonly exited: Promise<AppServerExit>;
  stop(): void;
}

export class AppServerError extends Error {}

export function startAppServer(o: AppServerOptions): AppServer {
  const child: ChildProcessWithoutNullStreams = spawn(o.command, o.argv, {
    cwd: o.cwd,
    env: o.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    if (stderr.length > 50) stderr.shift();
  });
  child.stdin.on('error', () => {}); // a child that died mid-write shows up as its exit, not as a throw
  let nextId = 1;
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  const exited = new Promise<AppServerExit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr: stderr.join('') }));
    child.on('error', (err) =>
      resolve({ code: -1, signal: null, stderr: `${err.message}\n${stderr.join('')}` }),
    );
  });
  void exited.then((exit) => {
    for (const p of pending.values())
      p.reject(new AppServerError(`codex app-server exited (${exit.code ?? exit.signal}) before answering`));
    pending.clear();
  });
  const send = (message: Record<string, unknown>) => {
    if (child.stdin.writable) child.stdin.write(`${JSON.stringify(message)}\n`);
  };

  // Messages are handled one at a time, in order: an approval is answered before the next line is read,
  // so the steps the gate commits keep Codex's order.
  let queue: Promise<void> = Promise.resolve();
  const handle = async (line: string) => {
    let parsed: z.infer<typeof Message>;
    try {
      parsed = Message.parse(JSON.parse(line));
    } catch {
      return; // not a protocol message (Codex logs to stderr, but be lenient)
    }
    const { id, method } = parsed;
    if (method === undefined) {
      if (typeof id !== 'number') return;
      const p = pending.get(id);
      pending.delete(id);
      if (!p) return;
      if (parsed.error) p.reject(new AppServerError(parsed.error.message));
      else p.resolve(parsed.result);
      return;
    }
    if (id === undefined) {
      await o.onNotification(method, parsed.params);
      return;
    }
    try {
      send({ id, result: await o.onRequest(method, parsed.params) });
    } catch (err) {
      send({ id, error: { code: -32603, message: (err as Error).message } });
    }
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (!line.trim()) return;
    queue = queue.then(() => handle(line)).catch(() => {});
  });

  return {
    request: (method, params) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        send({ id, method, params });
      }),
    notify: (method, params) => send(params === undefined ? { method } : { method, params }),
    exited,
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
