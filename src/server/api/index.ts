// The JSON API under /api/v1 (docs/api.md): one daemon route that authenticates the caller, finds the
// operation, checks its scope, validates parameters and body against the operation's zod schemas, and
// answers `{error: {code, message}}` for every failure. In that order, so a request without a valid token
// learns nothing (not even which paths exist), and nothing is read or changed before the checks pass.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { type Principal, requireScope, SCOPES } from '../../auth/index.js';
import { textForMessage, valueForMessage } from '../../message-text.js';
import { answerFailure } from '../failure-answer.js';
import {
  parseJson,
  pathForMessage,
  type RequestTarget,
  readBody,
  requestUrl,
  requireJsonContentType,
} from '../http-body.js';
import { type Route, send } from '../router.js';
import type { ApiContext } from './context.js';
import { decisionOperations } from './decisions.js';
import { ApiError } from './errors.js';
import { API_BASE, openApiDocument } from './openapi.js';
import { type Operation, operation, templatePattern } from './operation.js';
import { operateOperations } from './operations.js';
import { runOperations } from './runs.js';
import { type LiveStreams, streamOperation } from './stream.js';

export type { ApiContext } from './context.js';

export interface Api {
  /** The daemon route that serves /api/v1 (every method: the token is checked first). */
  routes: Route[];
  operations: readonly Operation[];
  streams: LiveStreams;
}

/** `path: message` for each issue, in one line; an issue said twice (an empty Idempotency-Key fails two
 * checks with one message) is said once. A path and zod's words can quote the request (a body's unknown
 * key, a query value): textForMessage escapes what would break the line or reorder it. */
function issues(where: string, error: z.ZodError): string {
  const said = new Set(
    error.issues.map((i) => textForMessage(`${i.path.join('.') || '(whole)'}: ${i.message}`)),
  );
  return `${where}: ${[...said].join('; ')}`;
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return {} as T;
  const r = schema.safeParse(value);
  if (!r.success) throw new ApiError(400, 'BAD_REQUEST', issues(where, r.error));
  return r.data;
}

const NO_QUERY = z.strictObject({});

/** Query parameters as an object; a parameter given twice is refused rather than silently picked. */
function queryOf(url: RequestTarget): Record<string, string> {
  // No prototype: `?constructor=x` or `?__proto__=x` is an unknown parameter like any other (`in` on a
  // plain object called each of them "given more than once"; the assignment dropped `__proto__`).
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of url.searchParams) {
    if (Object.hasOwn(out, k))
      throw new ApiError(400, 'BAD_REQUEST', `query parameter ${valueForMessage(k)} given more than once`);
    out[k] = v;
  }
  return out;
}

/** The headers an operation declares, under their declared names (Node lowercases what it received). */
function headersOf(req: IncomingMessage, declared: z.ZodObject): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(declared.shape)) {
    const value = req.headers[name.toLowerCase()];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

export function createApi(ctx: ApiContext): Api {
  const stream = streamOperation(ctx);
  const operations: Operation[] = [
    ...runOperations(ctx),
    stream.operation,
    ...decisionOperations(ctx),
    ...operateOperations(ctx),
  ];
  let document: unknown;
  operations.push(
    operation({
      id: 'getOpenApi',
      method: 'GET',
      path: '/openapi.json',
      summary: 'This document',
      scope: null,
      responses: {
        200: z
          .looseObject({ openapi: z.literal('3.1.0'), paths: z.record(z.string(), z.unknown()) })
          .meta({ id: 'OpenApiDocument' }),
      },
      handle: () => ({ status: 200, body: document }),
    }),
  );
  document = openApiDocument(operations, SCOPES);
  const table = operations.map((op) => ({ op, ...templatePattern(op.path) }));

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = requestUrl(req);
    // Before the route is looked up: a caller without a valid token learns nothing, not even which paths
    // exist. A browser session's POST must carry its CSRF token (x-csrf-token): src/auth/ checks it here.
    const caller: Principal = await ctx.auth.authenticate(req);
    const sub = url.pathname.slice(API_BASE.length) || '/';
    let found: { op: Operation; segments: string[]; names: string[] } | undefined;
    // HEAD is answered as GET, without the body (Node drops it): RFC 9110 §9.3.2.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    for (const t of table) {
      const m = t.pattern.exec(sub);
      // Not an event stream: Node sends HEAD's headers only at end(), which a stream never reaches (the
      // client would hang, holding one of its token's stream places).
      if (m && t.op.method === method && !(req.method === 'HEAD' && t.op.stream))
        found = { op: t.op, segments: m.slice(1), names: t.names };
      if (found) break;
    }
    if (!found)
      throw new ApiError(
        404,
        'NOT_FOUND',
        `no API operation ${req.method} ${pathForMessage(url.pathname)} (see ${API_BASE}/openapi.json)`,
      );
    const { op } = found;
    if (op.scope) requireScope(caller, op.scope);
    const raw = Object.fromEntries(
      found.names.map((n, i) => {
        try {
          return [n, decodeURIComponent(found.segments[i]!)];
        } catch {
          throw new ApiError(400, 'BAD_REQUEST', `malformed %-escape in the path parameter ${n}`);
        }
      }),
    );
    const params = parse(op.params, raw, 'path');
    // An operation that takes no query parameters refuses any, as one that takes some refuses unknown ones.
    const query = parse(op.query ?? NO_QUERY, queryOf(url), 'query');
    if (op.headers) parse(op.headers, headersOf(req, op.headers), 'headers');
    // Who may act on this record (a decision's person), before a byte of the body is read.
    if (op.authorize) await op.authorize({ caller, params, req });
    let body: unknown = {};
    if (op.body) {
      requireJsonContentType(req);
      body = parse(op.body, parseJson(await readBody(req)), 'body');
    }
    const answer = await op.handle({ caller, params, query, body, req, res });
    if (answer) send(res, answer.status, answer.body);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await dispatch(req, res);
    } catch (err) {
      answerFailure(req, res, err, { log: ctx.log, absorbs: ctx.absorbs });
    }
  }

  const path = /^\/api\/v1(?:\/.*)?$/;
  return {
    // Every method, not only GET and POST: a DELETE or PUT without a token is a 401 like any other
    // request (docs/api.md), and with one a 404 naming the operation that does not exist.
    routes: [{ method: '*', path, handle }],
    operations,
    streams: stream.streams,
  };
}
