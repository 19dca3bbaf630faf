// `nightshift mcp`: the MCP server over stdio, for one person's agent (Claude Code, an IDE) on a machine
// that can open the store. A run it starts is driven here, as `nightshift run` drives one: a user with no
// daemon gets results, and a person's later decision drives the run on in the deciding process, as for
// any foreground run (decision 027). stdout carries the protocol: everything else goes to stderr.
import type { RunSummary } from '../engine/summary.js';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { Runtime } from '../runtime.js';
import type { McpDoors, McpScope, StartedRun } from './doors.js';
import { createMcpServer } from './server.js';
import { StdioJsonRpcTransport } from './stdio-transport.js';

export interface StdioOptions {
  runtime: Runtime;
  roles: readonly Role[];
  /** Who started the server (the OS user): runs it starts are recorded as `mcp:<name>`. */
  user: string;
  /**
   * What the client may do (`nightshift mcp --scope`): `runs:read` always, `events:send` to start runs
   * and send events. The same words and refusals as a token's on `/mcp`.
   */
  scopes: readonly McpScope[];
  /** A line for stderr. */
  say(line: string): void;
  input?: NodeJS.ReadableStream;
  output?: NodeJS.WritableStream;
}

/** Serves until the client closes stdin (or the process is told to stop); then lets started runs settle. */
export async function serveMcpStdio(o: StdioOptions): Promise<void> {
  const { runtime } = o;
  // Runs this process drives; waited for before the runtime closes.
  const driving = new Set<Promise<unknown>>();

  function start(role: Role, input: unknown, s: { idempotencyKey?: string | undefined; actor: string }) {
    return new Promise<StartedRun>((resolve, reject) => {
      let recorded = false;
      const settled: Promise<RunSummary> = runtime.run(role, input, {
        idempotencyKey: s.idempotencyKey,
        actor: s.actor,
        onStarted: (runId) => {
          recorded = true;
          resolve({ runId, settled });
        },
      });
      // Before the run is recorded (bad input, a model that cannot be set up) the caller hears the error;
      // after it, the run's own record says how it ended, and this line says why it stopped being driven.
      const tracked = settled.catch((err: Error) => {
        if (!recorded) reject(err);
        else o.say(`nightshift mcp: driving a run of ${role.name} stopped: ${err.message}`);
      });
      driving.add(tracked);
      void tracked.finally(() => driving.delete(tracked));
    });
  }

  const doors: McpDoors = {
    runtime,
    roles: o.roles,
    actor: `mcp:${o.user}`,
    // The person who starts this process chooses what the agent they hand it to may do (`--scope`):
    // an agent that should only read runs gets no runs.start, as a read-only token gets none on /mcp.
    // Deciding is not a scope here: no tool decides.
    requireScope: (scope) => {
      if (o.scopes.includes(scope)) return;
      throw new NightshiftError(
        'AUTH_FORBIDDEN',
        `this needs the scope ${scope}, which this server was not given (nightshift mcp --scope ${o.scopes.join(',')}); start it with --scope ${[...o.scopes, scope].join(',')} to allow it`,
        { details: { scope } },
      );
    },
    start,
    emit: (event, payload, e) => runtime.emit(event, payload, e),
    noListener:
      'no role took this event: events reach the roles a running `nightshift serve` serves (runs.start starts a run here)',
  };
  const server = createMcpServer(doors);
  // Not the SDK's StdioServerTransport: it answers nothing to a line that is not a JSON-RPC message.
  const transport = new StdioJsonRpcTransport(
    (o.input ?? process.stdin) as NodeJS.ReadStream,
    (o.output ?? process.stdout) as NodeJS.WriteStream,
  );
  // The transport closes when stdin ends, once every request read is answered (closing the server before
  // would drop the answers of requests still running), or when stdout goes.
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await server.connect(transport);
  o.say(`nightshift mcp: serving ${o.roles.length} role(s) over stdio (scope ${o.scopes.join(',')})`);
  await closed;
  await server.close().catch(() => {});
  if (driving.size > 0) o.say(`nightshift mcp: waiting for ${driving.size} run(s) to finish or pause`);
  await Promise.all([...driving]);
}
