// `/mcp` on `nightshift serve`: the MCP server over the streamable HTTP transport, behind a bearer token.
// Stateless: each POST gets its own server and transport (no session to keep, so any daemon behind a load
// balancer answers any request). A run it starts is queued for serve's workers, as POST /events queues
// one; runs.start then waits (bounded) for the workers' result by reading the store.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import { type Authenticator, type Principal, requireScope } from '../auth/index.js';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import type { DeliverOptions, Delivery, Runtime } from '../runtime.js';
import { HttpError, readBody, requireJsonContentType } from '../server/http-body.js';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../server/json-depth.js';
import type { McpDoors } from './doors.js';
import { acceptForSdk, acceptsJson, notAcceptable } from './http-accept.js';
import { type Id, invalidMessage } from './jsonrpc-invalid.js';
import { createMcpServer } from './server.js';

export interface McpHttpOptions {
  runtime: Runtime;
  roles: readonly Role[];
  /** serve's authentication (src/auth/): every request needs `runs:read`; starting runs `events:send`. */
  auth: Authenticator;
  /** Delivers to one role (runtime.deliver) and wakes the worker. */
  deliver(
    role: Role,
    input: unknown,
    key: string | undefined,
    trigger: DeliverOptions['trigger'],
    actor?: string,
  ): Promise<Delivery>;
  /** Tells this daemon's worker there is work. */
  wake(): void;
  /** serve's log: a server-side failure's detail goes there, never to the client (mcp/failure.ts). */
  log: Logger;
}

/** The doors of one /mcp request: the caller's scopes and name, runs queued for serve's workers. */
export function mcpHttpDoors(o: McpHttpOptions, caller: Principal): McpDoors {
  return {
    runtime: o.runtime,
    roles: o.roles,
    actor: `mcp:${caller.name}`,
    log: o.log,
    requireScope: (scope) => requireScope(caller, scope),
    async start(role, input, s) {
      // Namespaced by caller and role: a client's key can never match an event's or a webhook's run key
      // (or another client's), so it cannot claim a run someone else's delivery would have made.
      const key = s.idempotencyKey ? `mcp:${caller.name}:${role.name}:${s.idempotencyKey}` : undefined;
      // Recorded as the caller (`mcp:<name>`, as docs/mcp-server.md says), not as an anonymous trigger.
      const delivery = await o.deliver(role, input, key, { kind: 'mcp', by: caller.name }, s.actor);
      if (!delivery.runId) throw new NightshiftError('INTERNAL', `role ${role.name} was given no run`);
      return { runId: delivery.runId };
    },
    async emit(event, payload, e) {
      const runs = await o.runtime.emit(event, payload, e);
      o.wake();
      return runs;
    },
    noListener: 'no role takes this event (roles.list shows each role with its events)',
  };
}

/** Answers one request to /mcp. */
export async function answerMcp(o: McpHttpOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // Authenticated before the body is read: nothing of an unknown caller's request is looked at.
  const caller = await o.auth.authenticate(req, { scope: 'runs:read' });
  if (req.method !== 'POST')
    // Stateless: no stream for server-initiated messages (GET) and no session to end (DELETE).
    throw new HttpError(405, `${req.method} /mcp is not offered: send JSON-RPC requests with POST`);
  // Before the body is read, as the SDK checks it; but any Accept that admits JSON will do (http-accept.ts).
  const accept = req.headers.accept;
  if (!acceptsJson(accept)) {
    res.writeHead(406, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: notAcceptable(accept!) },
      }),
    );
    return;
  }
  requireJsonContentType(req);
  const raw = (await readBody(req)).toString('utf8');
  // Too deep for what handles it next (the SDK's schemas, canonical JSON): refused as the API refuses it
  // (server/json-depth.ts), as an Invalid Request the client can read, not a stack overflow's 500; and
  // before JSON.parse, which takes 30 times as long on a deep body as on a flat one (http-body.ts).
  if (nestsDeeperThan(raw)) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: {
          code: ErrorCode.InvalidRequest,
          message: `Invalid Request: the body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep`,
        },
      }),
    );
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    // As JSON-RPC 2.0 and the stdio transport answer it: an MCP client reads a JSON-RPC error, not
    // nightshift's own error body, for a request it could not have meant.
    res.writeHead(400, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: null,
        error: { code: -32700, message: `Parse error: the body is not JSON (${(err as Error).message})` },
      }),
    );
    return;
  }
  // JSON that is not a JSON-RPC message (`jsonrpc: "1.0"`, a method that is not a string) is an Invalid
  // Request (-32600) saying which rule it breaks, as on stdio; the SDK would call it a parse error. A
  // batch (an array) is left to the SDK, which takes them over HTTP, once each of its messages passes the
  // same check (the SDK answered a bad one as a parse error) and it is not empty (the SDK answered `[]`
  // with an empty 202, where JSON-RPC 2.0 asks for an Invalid Request).
  const checked = Array.isArray(body) ? checkBatch(body) : invalidMessage(body);
  if (checked && !checked.ok) {
    res.writeHead(400, { 'content-type': 'application/json' }).end(
      JSON.stringify({
        jsonrpc: '2.0',
        id: checked.id,
        error: { code: ErrorCode.InvalidRequest, message: checked.message },
      }),
    );
    return;
  }
  const server = createMcpServer(mcpHttpDoors(o, caller));
  const transport = new StreamableHTTPServerTransport({
    sessionIdGenerator: undefined,
    enableJsonResponse: true,
  });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  acceptForSdk(req);
  await transport.handleRequest(req, res, body);
}

/** A batch's first invalid message (its id and reason, naming its place), `undefined` when all are messages. */
function checkBatch(batch: unknown[]): { ok: false; id: Id; message: string } | undefined {
  if (batch.length === 0) return { ok: false, id: null, message: 'Invalid Request: the batch is empty' };
  for (const [i, element] of batch.entries()) {
    // Not the stdio reason ("send one message per line"): over HTTP a batch is taken, but flat.
    if (Array.isArray(element))
      return {
        ok: false,
        id: null,
        message: `Invalid Request: a batch holds messages, not another batch (message ${i + 1} of the batch is an array)`,
      };
    const one = invalidMessage(element);
    if (!one.ok) return { ok: false, id: one.id, message: `${one.message} (message ${i + 1} of the batch)` };
  }
  return undefined;
}
