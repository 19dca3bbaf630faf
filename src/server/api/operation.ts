// One API operation as data: method, path template, scope, the zod schemas of its parameters, body and
// answers, and its handler. The router matches on it, validation runs from it, and the OpenAPI document
// is generated from it, so the three cannot drift apart.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import type { Principal, Scope } from '../../auth/index.js';
import { id } from './schemas/common.js';

export interface OperationInput<P, Q, B> {
  caller: Principal;
  params: P;
  query: Q;
  body: B;
  req: IncomingMessage;
  res: ServerResponse;
}

/** What an operation's `authorize` sees: the caller and the path, never the body (not read yet). */
export interface AuthorizeInput<P> {
  caller: Principal;
  params: P;
  req: IncomingMessage;
}

/** What a handler answers: a status and a body that matches that status's schema. */
export interface OperationAnswer {
  status: number;
  body: unknown;
}

export interface Operation<
  P extends z.ZodObject = z.ZodObject,
  Q extends z.ZodObject = z.ZodObject,
  B extends z.ZodType = z.ZodType,
> {
  /** OpenAPI operationId. */
  id: string;
  method: 'GET' | 'POST';
  /** Below /api/v1, with `{name}` for each path parameter: `/runs/{runId}`. */
  path: string;
  summary: string;
  /** The scope a caller's token must carry (checked before the body is read); null: any valid token. */
  scope: Scope | null;
  params?: P;
  query?: Q;
  /** Request headers the operation reads, by their documented names (`Idempotency-Key`). */
  headers?: z.ZodObject;
  body?: B;
  /** Success answers by status. */
  responses: Record<number, z.ZodType>;
  /** Answered as text/event-stream (the handler writes the response itself and returns undefined). */
  stream?: boolean;
  /**
   * Who may act on the record the path names, checked before the body is read: a refusal here (a person
   * not allowed to decide that role, a record not found) is answered without reading a byte of the body.
   */
  authorize?(input: AuthorizeInput<z.infer<P>>): Promise<void>;
  handle(
    input: OperationInput<z.infer<P>, z.infer<Q>, z.infer<B>>,
  ): Promise<OperationAnswer | undefined> | OperationAnswer | undefined;
}

/** Declares an operation with its handler's input typed from its schemas. */
export function operation<P extends z.ZodObject, Q extends z.ZodObject, B extends z.ZodType>(
  o: Operation<P, Q, B>,
): Operation {
  return o as unknown as Operation;
}

/** A POST on one record named by the path's one parameter, answered with 200 and the handler's body. */
export interface RecordAction<K extends string, B extends z.ZodType> {
  id: string;
  /** With `{<param>}` once: `/runs/{runId}/cancel`. */
  path: string;
  param: K;
  summary: string;
  scope: Scope;
  body: B;
  /** The 200 answer's schema. */
  answer: z.ZodType;
  /** Checked before the body is read (Operation.authorize). */
  authorize?(input: AuthorizeInput<Record<K, string>>): Promise<void>;
  handle(input: OperationInput<Record<K, string>, unknown, z.infer<B>>): Promise<unknown>;
}

/**
 * Declares a record action: the decisions (approve, reject, answer) and the run operations (cancel,
 * resume) all have this shape, so the path parameter's bounds and the answer's status are set once.
 */
export function recordAction<K extends string, B extends z.ZodType>(o: RecordAction<K, B>): Operation {
  const { param, answer, handle, authorize, ...rest } = o;
  return operation({
    ...rest,
    method: 'POST',
    params: z.strictObject({ [param]: id } as Record<K, typeof id>),
    responses: { 200: answer },
    ...(authorize
      ? { authorize: (input) => authorize({ ...input, params: input.params as Record<K, string> }) }
      : {}),
    async handle(input) {
      const params = input.params as Record<K, string>;
      return { status: 200, body: await handle({ ...input, params }) };
    },
  });
}

/** The regular expression a path template matches (each `{name}` one segment, captured). */
export function templatePattern(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((part) => {
      const m = /^\{(\w+)\}$/.exec(part);
      if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { pattern: new RegExp(`^${source}$`), names };
}
