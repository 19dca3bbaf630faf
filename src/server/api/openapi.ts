// The OpenAPI 3.1 document, generated from the operations' own zod schemas with zod's toJSONSchema
// (zod 4 writes JSON Schema 2020-12, the dialect OpenAPI 3.1 uses), so what is documented is what is
// validated. Named schemas (`.meta({id})`) become components; parameters are inlined.
import { z } from 'zod';
import type { Scope } from '../../auth/index.js';
import type { Operation } from './operation.js';
import { ErrorBody } from './schemas/common.js';
import * as records from './schemas/records.js';

export const API_BASE = '/api/v1';

/** The failures every operation may answer, besides its own successes. */
const ERRORS: Record<number, string> = {
  400: 'Bad input: malformed JSON, a body, parameter or Idempotency-Key header that fails its schema, a bad cursor; an ambiguous stats version prefix (USAGE)',
  401: 'No token, or an unknown, expired or revoked one (AUTH_REQUIRED)',
  403: 'The token lacks the scope (AUTH_FORBIDDEN), its person may not decide for this role (PERSON_NOT_ALLOWED), or a session request lacks its CSRF token (CSRF_INVALID)',
  404: 'No such run, approval, escalation, role version (VERSION_NOT_FOUND) or route',
  409: 'Not pending any more, decided by someone else, or the change set changed; an Idempotency-Key already used with another input (IDEMPOTENCY_KEY_REUSED)',
  413: 'Body larger than 1 MiB',
  415: 'Body not declared application/json, or sent with a content-encoding other than identity',
  500: 'A server-side failure (INTERNAL): a generic message; the details go to the server log',
  503: 'The store cannot be reached (STORE_UNAVAILABLE) or is busy (STORE_BUSY), with Retry-After',
  507: 'The disk under the store is full (DISK_FULL), with Retry-After',
};

const idOf = (schema: z.ZodType): string | undefined => z.globalRegistry.get(schema)?.id;

type JsonSchema = Record<string, unknown>;

/** A schema as JSON Schema, named components referenced, not copied. */
function components(schemas: z.ZodType[]): Record<string, JsonSchema> {
  const registry = z.registry<{ id: string }>();
  for (const s of schemas) {
    const id = idOf(s);
    if (id && !registry.has(s)) registry.add(s, { id });
  }
  const out = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas as Record<string, JsonSchema>;
  for (const s of Object.values(out)) {
    delete s.$schema;
    delete s.$id;
  }
  return out;
}

/** A request's parameter or body schema: a reference when it is named, else inlined. */
function schemaOf(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const id = idOf(s);
  if (id) return { $ref: `#/components/schemas/${id}` };
  const json = z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parameters(op: Operation): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, obj] of [
    ['path', op.params],
    ['query', op.query],
    ['header', op.headers],
  ] as const) {
    if (!obj) continue;
    for (const [name, s] of Object.entries(obj.shape as Record<string, z.ZodType>)) {
      const schema = schemaOf(s, 'input');
      const optional = s.safeParse(undefined).success;
      out.push({
        name,
        in: where,
        required: where === 'path' || !optional,
        schema,
        ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
      });
    }
  }
  return out;
}

export function openApiDocument(operations: readonly Operation[], scopes: readonly Scope[]) {
  const named: z.ZodType[] = [ErrorBody, ...(Object.values(records) as z.ZodType[])];
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of operations) {
    const responses: Record<string, JsonSchema> = {};
    for (const [status, s] of Object.entries(op.responses)) {
      named.push(s);
      const type = op.stream ? 'text/event-stream' : 'application/json';
      responses[status] = {
        description: z.globalRegistry.get(s)?.description ?? 'OK',
        content: { [type]: { schema: schemaOf(s, 'output') } },
      };
    }
    for (const [status, description] of Object.entries(ERRORS))
      responses[status] = {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    if (op.stream)
      responses['429'] = {
        description:
          'The token, or the server, already holds as many open event streams as it may (TOO_MANY_STREAMS)',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    if (op.body) named.push(op.body);
    const path = `${API_BASE}${op.path}`;
    paths[path] ??= {};
    paths[path][op.method.toLowerCase()] = {
      operationId: op.id,
      summary: op.summary,
      ...(op.scope
        ? { security: [{ bearer: [op.scope] }], 'x-scope': op.scope }
        : { security: [{ bearer: [] }] }),
      parameters: parameters(op),
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: schemaOf(op.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'nightshift',
      version: '1',
      description: 'Runs, the inbox and decisions, events, agents, stats and the audit log (docs/api.md).',
    },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: `A token from \`nightshift token create\`; scopes: ${scopes.join(', ')}`,
        },
      },
      schemas: components(named),
    },
    paths,
  };
}
