// MCP servers as tool sources, through the official MCP TypeScript SDK. Only the tools the role lists are
// exposed (as `<server>.<tool>`), each with the effect the role assigns, and every call goes through the
// same policy as the built-ins. Arguments are checked against the server's own JSON Schema.
import type { Stream } from 'node:stream';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { NightshiftError } from '../../errors.js';
import { zodFromJsonSchema } from '../../roles/json-schema.js';
import type { McpServerConfig, RoleSettings } from '../../roles/settings.js';
import { defineTool } from '../define.js';
import { toolFailed } from '../failures.js';
import type { AnyTool } from '../types.js';
import { mcpCallError } from './call-errors.js';
import { listWantedTools, type OfferedTool } from './list-tools.js';
import { checkOfferedSize } from './offered-limits.js';

const CONNECT_TIMEOUT_MS = 20_000;
/** How much of a stdio server's stderr goes to the log sink; the rest is read and dropped. */
const STDERR_LOG_CAP = 64 * 1024;
/** The end of a stdio server's stderr kept to explain a failed start or call. */
const STDERR_TAIL = 4 * 1024;

/** Where a stdio MCP server's stderr goes: a debug-level log line per chunk, up to STDERR_LOG_CAP. */
export type McpStderrSink = (server: string, text: string) => void;

export interface McpConnectOptions {
  /** Receives what stdio servers write to stderr (capped); without one it is read and dropped. */
  onStderr?: McpStderrSink;
}

/**
 * Reads a stdio server's stderr as fast as it comes. Unread, the pipe fills (64 KiB on Linux) and the
 * server blocks in its next write to stderr, so it stops answering: a server that logs a lot would
 * deadlock its own calls. Keeps the last STDERR_TAIL bytes for error messages.
 */
function drainStderr(stream: Stream | null, server: string, sink: McpStderrSink | undefined): () => string {
  let tail = '';
  let logged = 0;
  stream?.on('data', (chunk: Buffer | string) => {
    const text = chunk.toString();
    tail = (tail + text).slice(-STDERR_TAIL);
    if (!sink || logged >= STDERR_LOG_CAP) return;
    const room = STDERR_LOG_CAP - logged;
    logged += text.length;
    sink(
      server,
      text.length <= room ? text : `${text.slice(0, room)}\n[further stderr of ${server} is not logged]`,
    );
  });
  return () => tail.trim();
}

export interface McpConnections {
  tools: AnyTool[];
  close(): Promise<void>;
}

function textOf(content: unknown): string {
  if (!Array.isArray(content)) return '';
  return content
    .map((c: { type?: string; text?: string }) => (c.type === 'text' ? c.text : `[${c.type} content]`))
    .join('\n');
}

/** A started server: its client, the tools it offers, and why its connection went away. */
interface Session {
  client: Client;
  /** The offered tools the role lists, by name. */
  offered: Map<string, OfferedTool>;
  /** What the server offers, by name (the first of them), for a message about a missing tool. */
  offeredNames: string[];
  /** The first transport error (a message over the SDK's size limit, a line that is not JSON) and stderr. */
  closedBecause(): string;
  /** Set once the connection has closed (the process exited, the transport gave up). */
  closed: boolean;
}

/**
 * Starts the server and lists its tools. Any failure closes what was opened (a server left running keeps
 * the process from exiting) and is a TOOL_NOT_FOUND naming the server: the role cannot get its tools.
 */
async function start(
  server: McpServerConfig,
  role: RoleSettings,
  env: NodeJS.ProcessEnv,
  options: McpConnectOptions,
): Promise<Session> {
  // The SDK is loaded only by roles that use MCP.
  const [{ Client }, { GroupStdioClientTransport }, { StreamableHTTPClientTransport }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('./stdio-group-transport.js'),
    import('@modelcontextprotocol/sdk/client/streamableHttp.js'),
  ]);
  const client = new Client({ name: 'nightshift', version: '0.1.0' });
  // Not the SDK's StdioClientTransport: it signals only the process it spawned, so a server behind a
  // wrapper (npx, sh -c) outlived it, and nothing ended a server when nightshift was SIGKILLed.
  const transport = server.command
    ? new GroupStdioClientTransport({
        command: server.command[0]!,
        args: server.command.slice(1),
        cwd: role.source.dir,
        env: Object.fromEntries(
          ['PATH', ...server.env].flatMap((k) => (env[k] !== undefined ? [[k, env[k] as string]] : [])),
        ),
      })
    : new StreamableHTTPClientTransport(new URL(server.url!));
  // Attached before the process starts: the SDK hands out the stream at once and pipes into it later.
  const stderrTail =
    'stderr' in transport ? drainStderr(transport.stderr, server.name, options.onStderr) : () => '';
  let lastError = '';
  const session: Session = {
    client,
    offered: new Map(),
    offeredNames: [],
    closed: false,
    closedBecause: () => {
      const said = stderrTail();
      return [lastError, said ? `its stderr ended with: ${said.slice(-500)}` : ''].filter(Boolean).join('; ');
    },
  };
  // The first error is the cause (a message over the size limit); what follows is its debris.
  client.onerror = (err) => {
    lastError ||= err.message.slice(0, 300);
  };
  client.onclose = () => {
    session.closed = true;
  };
  const where = server.command ? `'${server.command.join(' ')}'` : server.url;
  let stage = 'did not start';
  try {
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
    stage = 'did not list its tools';
    const listing = await listWantedTools(client, new Set(Object.keys(server.tools)), CONNECT_TIMEOUT_MS);
    session.offered = listing.found;
    session.offeredNames = listing.names;
  } catch (err) {
    await client.close().catch(() => {});
    const issues = (err as { issues?: { path?: PropertyKey[]; message?: string }[] }).issues;
    const message = Array.isArray(issues)
      ? `its answer is not an MCP tool list (${issues.map((i) => `${(i.path ?? []).map(String).join('.')}: ${i.message}`).join('; ')})`
      : (err as Error).message;
    const said = stderrTail();
    throw new NightshiftError(
      'TOOL_NOT_FOUND',
      `MCP server ${server.name} (${where}) ${stage}: ${message}${said ? `; its stderr ended with: ${said.slice(-500)}` : ''}`,
      { cause: err },
    );
  }
  return session;
}

async function connect(
  server: McpServerConfig,
  role: RoleSettings,
  env: NodeJS.ProcessEnv,
  options: McpConnectOptions,
): Promise<{ close(): Promise<void>; tools: AnyTool[] }> {
  let session = await start(server, role, env, options);
  const { offered, offeredNames } = session;
  // A server that exited (crashed, or closed on an oversized answer) is started again for the next call,
  // once for concurrent callers: the role stays prepared (serve keeps it for every later run), and without
  // this each of its later calls would fail with "Not connected" until the process restarts.
  let restarting: Promise<Session> | undefined;
  let closing = false;
  const live = async (): Promise<Session> => {
    if (!session.closed || closing) return session;
    restarting ??= start(server, role, env, options).finally(() => {
      restarting = undefined;
    });
    session = await restarting;
    return session;
  };
  const tools: AnyTool[] = [];
  try {
    for (const [name, effect] of Object.entries(server.tools)) {
      const remote = offered.get(name);
      if (!remote) {
        throw new NightshiftError(
          'TOOL_NOT_FOUND',
          `MCP server ${server.name} has no tool '${name}' (it offers: ${offeredNames.join(', ') || 'none'})`,
        );
      }
      checkOfferedSize(server.name, name, remote);
      const schema = (remote.inputSchema ?? { type: 'object' }) as Record<string, unknown>;
      let input: ReturnType<typeof zodFromJsonSchema>;
      try {
        // The server's patterns run on RE2 only: a backtracking one could make each call's check hang.
        input = zodFromJsonSchema(schema, { untrusted: true });
      } catch (err) {
        throw new NightshiftError(
          'TOOL_NOT_FOUND',
          `MCP server ${server.name}: tool '${name}' has an input schema that cannot be used to check its arguments: ${(err as Error).message}`,
          { cause: err },
        );
      }
      tools.push(
        defineTool({
          name: `${server.name}.${name}`,
          description: remote.description ?? `${name} (MCP server ${server.name})`,
          input,
          jsonSchema: schema,
          // An effect the role does not state is the widest one.
          effect: effect ?? 'external',
          // A tool the role calls a read has no side effect to repeat (the policy runs it at observe on
          // that word): a crash in its call re-runs it rather than asking a person. Others: unknown, unsafe.
          idempotent: effect === 'read',
          // The role's list of this server's tools is the allowlist: a listed tool is inside its scope.
          // A listed read tool is inside the role's allowlist; other effects declare no scope the runtime
          // can check, so at `sandbox` they are denied like any unscoped tool.
          scope: () =>
            (effect ?? 'external') === 'read' ? { kind: 'inside' as const } : { kind: 'unscoped' as const },
          run: async (args, ctx) => {
            const now = await live();
            let result: Awaited<ReturnType<Client['callTool']>>;
            try {
              result = await now.client.callTool({ name, arguments: args }, undefined, {
                signal: ctx.signal,
                timeout: ctx.role.limits.execSeconds * 1000,
              });
            } catch (err) {
              // A stop by the engine (lease lost, budget out) is the engine's to report.
              if (ctx.signal.aborted) throw err;
              throw mcpCallError(err, {
                tool: `${server.name}.${name}`,
                server: server.name,
                timeoutSeconds: ctx.role.limits.execSeconds,
                closedBecause: now.closedBecause,
                closed: () => now.closed,
              });
            }
            if (result.isError)
              throw toolFailed(`${server.name}.${name} failed: ${textOf(result.content) || 'error'}`);
            return result.structuredContent ?? { content: textOf(result.content) };
          },
        }),
      );
    }
  } catch (err) {
    await session.client.close().catch(() => {});
    throw err;
  }
  return {
    tools,
    close: async () => {
      closing = true;
      // A restart under way finishes first, so the process it starts is closed too.
      const last = await (restarting ?? Promise.resolve(session)).catch(() => session);
      await Promise.allSettled([last.client.close(), session.client.close()]);
    },
  };
}

/** Connects to every MCP server the role names. Fails (closing what it opened) if any listed tool is missing. */
export async function connectMcpServers(
  role: RoleSettings,
  env: NodeJS.ProcessEnv = process.env,
  options: McpConnectOptions = {},
): Promise<McpConnections> {
  const servers: { close(): Promise<void> }[] = [];
  const tools: AnyTool[] = [];
  const close = async () => {
    await Promise.allSettled(servers.map((c) => c.close()));
  };
  try {
    for (const server of role.mcp) {
      const c = await connect(server, role, env, options);
      servers.push(c);
      tools.push(...c.tools);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { tools, close };
}
