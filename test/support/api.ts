// A real daemon on loopback with the /api/v1 routes, over a real store, for the API tests: real tokens
// (src/auth/, hashed in the store) for named callers, a recorder of every JSON answer (the OpenAPI test validates them all against the
// document), and a `call` that speaks HTTP to it.
import { pino } from 'pino';
import { issueToken, revokeToken, type Scope } from '../../src/auth/index.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { loadRoleFile } from '../../src/roles/load.js';
import type { Role } from '../../src/roles/schema.js';
import { createRuntime, type Runtime, type RuntimeOptions } from '../../src/runtime.js';
import type { StreamSettings } from '../../src/server/api/context.js';
import type { Operation } from '../../src/server/api/operation.js';
import { type Daemon, startDaemon } from '../../src/server/daemon.js';

export const ALL_SCOPES: Scope[] = ['runs:read', 'events:send', 'decide', 'operate'];

/** A token to issue: for a configured person or a service, with these scopes. */
export interface TokenSpec {
  kind: 'person' | 'service';
  name: string;
  scopes: Scope[];
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
  /** The bearer secret of each token, by the label the test gave it. */
  secrets: Record<string, string>;
  /** Revokes the token of this label (nightshift token revoke). */
  revoke(label: string): Promise<void>;
  /** The API's operations (method, path template, scope). */
  operations: readonly Operation[];
  /** Every JSON answer given so far. */
  recorded: Recorded[];
  call(
    method: string,
    path: string,
    o?: { token?: string | null; body?: unknown; raw?: string | Buffer; headers?: Record<string, string> },
  ): Promise<Answer>;
  close(): Promise<void>;
}

export async function startApi(o: {
  roleFiles: string[];
  runtime: RuntimeOptions;
  people?: PeopleDirectory;
  /** Tokens to issue, by label. */
  callers: Record<string, TokenSpec>;
  /** The label of the token `call` sends when none is given. */
  token: string;
  /** Roles the daemon's worker serves (default: all of roleFiles). */
  serve?: (roles: Role[]) => Role[];
  /** Server-sent event settings over the tests' defaults (poll 20 ms, heartbeat 50 ms). */
  stream?: StreamSettings;
}): Promise<ApiServer> {
  const rt = await createRuntime({ ...o.runtime, ...(o.people ? { people: o.people } : {}) });
  const roles = [];
  for (const f of o.roleFiles) roles.push(await loadRoleFile(f));
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  for (const [label, spec] of Object.entries(o.callers)) {
    const issued = await issueToken(rt.store, o.people, { ...spec, expiresAt: null });
    secrets[label] = issued.secret;
    ids[label] = issued.token.id;
  }
  const daemon = await startDaemon({
    runtime: rt,
    roles: o.serve ? o.serve(roles) : roles,
    host: '127.0.0.1',
    port: 0,
    concurrency: 2,
    pollMs: 20,
    env: {},
    log: pino({ level: 'silent' }),
    people: o.people,
    stream: { pollMs: 20, heartbeatMs: 50, ...o.stream },
  });
  const recorded: Recorded[] = [];
  return {
    url: daemon.url,
    rt,
    daemon,
    roles,
    secrets,
    revoke: async (label) => {
      await revokeToken(rt.store, ids[label]!);
    },
    operations: daemon.api.operations,
    recorded,
    async call(method, path, c = {}) {
      // A label names an issued token; anything else is sent as it is (an unknown token).
      const given = c.token === undefined ? o.token : c.token;
      const token = given === null ? null : (secrets[given] ?? given);
      const headers: Record<string, string> = {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(c.body !== undefined || c.raw !== undefined ? { 'content-type': 'application/json' } : {}),
        ...c.headers,
      };
      const body = c.raw ?? (c.body !== undefined ? JSON.stringify(c.body) : undefined);
      const res = await fetch(`${daemon.url}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
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
