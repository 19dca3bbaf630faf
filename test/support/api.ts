// A real daemon on loopback with the /api/v1 routes, over a real store, for the API tests: tokens for
// named callers, a recorder of every JSON answer (the OpenAPI test validates them all against the
// document), and a `call` that speaks HTTP to it.
import type { IncomingMessage } from 'node:http';
import { pino } from 'pino';
import type { PeopleDirectory } from '../../src/people/config.js';
import { loadRoleFile } from '../../src/roles/load.js';
import type { Role } from '../../src/roles/schema.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import { type ApiAccess, type ApiScope, ApiRefusal, type Caller } from '../../src/server/api/index.js';
import { type Daemon, startDaemon } from '../../src/server/daemon.js';
import type { Operation } from '../../src/server/api/operation.js';

export const ALL_SCOPES: ApiScope[] = ['runs:read', 'events:send', 'decide', 'operate'];

/** Bearer tokens held in memory, revocable: the access seam the API reads callers through. */
export function tokenTable(callers: Record<string, Caller>): ApiAccess & { revoke(token: string): void } {
  const live = new Map(Object.entries(callers));
  return {
    async authenticate(req: IncomingMessage) {
      const m = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '');
      const caller = m ? live.get(m[1]!) : undefined;
      if (!caller) throw new ApiRefusal(401, 'UNAUTHENTICATED', 'a valid bearer token is required');
      return caller;
    },
    revoke: (token) => live.delete(token),
  };
}

export interface Answer {
  status: number;
  body: unknown;
  headers: Headers;
}

export interface Recorded {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

export interface ApiServer {
  url: string;
  rt: Runtime;
  daemon: Daemon;
  roles: Role[];
  access: ReturnType<typeof tokenTable>;
  /** The API's operations (method, path template, scope). */
  operations: readonly Operation[];
  /** Every JSON answer given so far. */
  recorded: Recorded[];
  call(
    method: 'GET' | 'POST',
    path: string,
    o?: { token?: string | null; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> },
  ): Promise<Answer>;
  close(): Promise<void>;
}

export async function startApi(o: {
  roleFiles: string[];
  runtime: RuntimeOptions;
  people?: PeopleDirectory;
  callers: Record<string, Caller>;
  /** The token `call` sends when none is given. */
  token: string;
  /** Roles the daemon's worker serves (default: all of roleFiles). */
  serve?: (roles: Role[]) => Role[];
}): Promise<ApiServer> {
  const rt = await createRuntime({ ...o.runtime, ...(o.people ? { people: o.people } : {}) });
  const roles = [];
  for (const f of o.roleFiles) roles.push(await loadRoleFile(f));
  const access = tokenTable(o.callers);
  const daemon = await startDaemon({
    runtime: rt,
    roles: o.serve ? o.serve(roles) : roles,
    host: '127.0.0.1',
    port: 0,
    concurrency: 2,
    pollMs: 20,
    env: {},
    log: pino({ level: 'silent' }),
    access,
    stream: { pollMs: 20, heartbeatMs: 50 },
  });
  const recorded: Recorded[] = [];
  return {
    url: daemon.url,
    rt,
    daemon,
    roles,
    access,
    operations: daemon.api.operations,
    recorded,
    async call(method, path, c = {}) {
      const token = c.token === undefined ? o.token : c.token;
      const headers: Record<string, string> = {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(c.body !== undefined || c.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...c.headers,
      };
      const body = c.raw ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined);
      const res = await fetch(`${daemon.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      recorded.push({ method, path: path.split('?')[0]!, status: res.status, body: parsed });
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async close() {
      await daemon.close(1000);
      await rt.close();
    },
  };
}
