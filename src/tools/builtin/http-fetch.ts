// http.fetch: GET or POST to hosts on the role's allowlist. The allowlist and the address rules are
// checked before the call (the policy's scope check), again on the address actually connected to
// (a custom DNS lookup, so a name cannot be rebound to 127.0.0.1 in between), and on every redirect.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { z } from 'zod';
import { NightshiftError } from '../../errors.js';
import type { RoleSettings } from '../../roles/settings.js';
import { secretNameForMessage } from '../../secret-name.js';
import { defineTool } from '../define.js';
import { toolFailed, toolTimeout } from '../failures.js';
import { restrictedAddress } from '../net/addresses.js';
import { matchHost } from '../net/host-allowlist.js';
import { SECRET_REF, secretDestinationProblem, secretNames } from '../net/secret-destinations.js';
import type { Secrets } from '../secrets.js';
import type { ScopeVerdict } from '../types.js';

const MAX_REDIRECTS = 5;

const Input = z.strictObject({
  url: z.string().min(1).describe('http(s) URL on an allowed host'),
  method: z.enum(['GET', 'POST']).default('GET'),
  headers: z
    .record(z.string(), z.string())
    .default({})
    .describe('request headers; {{secret:NAME}} inserts a declared secret'),
  body: z
    .string()
    .max(10 * 1024 * 1024)
    .optional()
    .describe('request body (POST); {{secret:NAME}} inserts a declared secret'),
});
type Input = z.infer<typeof Input>;

type Checked = { ok: true; url: URL; privateAllowed: boolean } | { ok: false; reason: string };

/**
 * Resolves a host name to all its addresses. The system resolver by default; tests pass their own to
 * answer differently at check and at connect time (DNS rebinding).
 */
export type Resolve = (host: string) => Promise<LookupAddress[]>;

/** The allowlist and address rules for one URL, without connecting (DNS is looked up for names). */
async function checkUrl(raw: string, role: RoleSettings, resolve: Resolve): Promise<Checked> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: `'${raw}' is not a valid URL` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { ok: false, reason: `scheme ${url.protocol} is not allowed (http and https only)` };
  if (url.username || url.password)
    return { ok: false, reason: 'URLs with credentials are not allowed; use {{secret:NAME}} in a header' };
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const match = matchHost(role.scope.hosts, host);
  if (!match) {
    const hosts = role.scope.hosts.map((h) => (typeof h === 'string' ? h : h.host));
    return {
      ok: false,
      reason: `host ${host} is not on this role's allowlist (scope.hosts: ${hosts.join(', ') || 'none'})`,
    };
  }
  if (!match.privateAllowed) {
    const addresses = isIP(host)
      ? [host]
      : await resolve(host).then(
          (all) => all.map((a) => a.address),
          () => [] as string[],
        );
    for (const a of addresses) {
      const why = restrictedAddress(a);
      if (why)
        return {
          ok: false,
          reason: `${host} resolves to ${why}; not allowed unless the role lists the host with private: true`,
        };
    }
  }
  return { ok: true, url, privateAllowed: match.privateAllowed };
}

/**
 * The URL as escalation rules see it: parsed (host lower-cased, default port and dot segments gone) and
 * with percent-escapes of unreserved characters decoded, which servers treat as the characters
 * themselves (RFC 3986 6.2.2.2): `/ref%75nds` is `/refunds`.
 */
function canonicalUrl(url: URL): string {
  return url.toString().replace(/%([0-9A-Fa-f]{2})/g, (encoded, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded;
  });
}

export const systemResolve: Resolve = (host) =>
  new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, addresses: LookupAddress[]) =>
      err ? reject(err) : resolve(addresses),
    ),
  );

/**
 * The socket's DNS lookup (the `lookup` option of the request), which refuses restricted addresses: the
 * check is made on the addresses actually connected to, whatever the name resolved to at check time.
 */
function guardedLookup(privateAllowed: boolean, resolve: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (all) => {
        // The socket asks for one family (or both); the resolver gives all, so keep what it asked for.
        const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
        const addresses = family ? all.filter((a) => a.family === family) : all;
        if (addresses.length === 0)
          return callback(
            Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }),
            '',
            4,
          );
        if (!privateAllowed) {
          for (const a of addresses) {
            const why = restrictedAddress(a.address);
            if (why)
              return callback(
                new NightshiftError('SCOPE_VIOLATION', `${hostname} resolved to ${why} at connect time`),
                '',
                4,
              );
          }
        }
        if (options.all)
          return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        const first = addresses[0]!;
        callback(null, first.address, first.family);
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 4),
    );
  };
}

/**
 * Why the call's own `Host` header may not be sent. The allowlist and the address rules judge the URL's
 * host, but a server that serves several names on one address (an ingress, a reverse proxy, a CDN) routes
 * by the Host header: `Host: admin.internal` on a request to an allowed `metrics.internal` reached a name
 * no one listed. One naming the URL's own host (what would be sent anyway) is harmless.
 */
function hostHeaderProblem(args: Pick<Input, 'headers'>, url: URL): string | undefined {
  for (const [name, value] of Object.entries(args.headers)) {
    if (name.toLowerCase() !== 'host') continue;
    if (value.trim().toLowerCase() === url.host.toLowerCase()) continue;
    return `header ${name}: '${value.slice(0, 200)}' names another host than the URL's (${url.host}); the request goes to the URL's host under that name, which the allowlist checks: put the host you mean in the URL`;
  }
  return undefined;
}

/** The headers as sent: without a Host of the call's own, so every request (and redirect) names its URL's host. */
function withoutHost(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'host'));
}

/** Why the secrets the call names may not go to its URL's host (secret-destinations.ts). */
function secretProblem(args: Input, url: URL, role: RoleSettings): string | undefined {
  const names = secretNames([...Object.values(args.headers), args.body ?? ''].join('\n'));
  return secretDestinationProblem(role, url.hostname.replace(/^\[|\]$/g, ''), names);
}

function withSecrets(text: string, secrets: Secrets): string {
  return text.replace(SECRET_REF, (_m, name: string) => {
    const v = secrets.get(name);
    if (v === undefined)
      throw new NightshiftError(
        'SCOPE_VIOLATION',
        `secret ${secretNameForMessage(name)} is declared but not set`,
      );
    return v;
  });
}

interface Response {
  status: number;
  url: string;
  headers: Record<string, string>;
  body: string;
}

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  privateAllowed: boolean,
  resolveHost: Resolve,
  limit: number,
  signal: AbortSignal,
): Promise<{ res: IncomingMessage; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(
      url,
      {
        method,
        headers: {
          ...headers,
          ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
        },
        lookup: guardedLookup(privateAllowed, resolveHost),
        signal,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limit) {
            req.destroy(
              new NightshiftError(
                'SCOPE_VIOLATION',
                `the response from ${url.host} is larger than the ${limit}-byte limit`,
              ),
            );
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ res, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** http.fetch with its resolver given: `resolve` is used at check time and again at connect time. */
export function createHttpFetch(options: { resolve?: Resolve } = {}) {
  const resolve = options.resolve ?? systemResolve;
  return defineTool({
    name: 'http.fetch',
    description: 'GET or POST a URL on an allowed host; returns status, headers and body text.',
    input: Input,
    effect: 'external',
    idempotent: (args: Input) => args.method === 'GET',
    scope: async (args, ctx): Promise<ScopeVerdict> => {
      const c = await checkUrl(args.url, ctx.role, resolve);
      if (!c.ok) return { kind: 'outside', reason: c.reason };
      const host = hostHeaderProblem(args, c.url);
      if (host) return { kind: 'outside', reason: host };
      const secrets = secretProblem(args, c.url, ctx.role);
      if (secrets) return { kind: 'outside', reason: secrets };
      return { kind: 'inside', canonical: { url: canonicalUrl(c.url) } };
    },
    run: async (args, ctx): Promise<Response> => {
      const { limits } = ctx.role;
      // Checked by the policy before the call; again here, where the values are put in.
      const secrets = secretProblem(args, new URL(args.url), ctx.role);
      if (secrets) throw new NightshiftError('SCOPE_VIOLATION', secrets);
      const host = hostHeaderProblem(args, new URL(args.url));
      if (host) throw new NightshiftError('SCOPE_VIOLATION', host);
      const signal = AbortSignal.any([ctx.signal, AbortSignal.timeout(limits.fetchSeconds * 1000)]);
      let headers = Object.fromEntries(
        Object.entries(withoutHost(args.headers)).map(([k, v]) => [k, withSecrets(v, ctx.secrets)]),
      );
      let body = args.body === undefined ? undefined : withSecrets(args.body, ctx.secrets);
      const origin = new URL(args.url).origin;
      // Headers that carry credentials (or a secret the role inserted) go to the origin the model named,
      // never to another one a redirect points at.
      const sensitive = new Set(
        Object.entries(args.headers)
          .filter(
            ([k, v]) => /\{\{secret:/.test(v) || /^(authorization|cookie|proxy-authorization)$/i.test(k),
          )
          .map(([k]) => k),
      );
      const bodyHasSecret = args.body !== undefined && /\{\{secret:/.test(args.body);
      let method: string = args.method;
      let target = args.url;
      for (let hop = 0; ; hop++) {
        const c = await checkUrl(target, ctx.role, resolve);
        if (!c.ok)
          throw new NightshiftError(
            'SCOPE_VIOLATION',
            hop === 0 ? c.reason : `redirected to ${target}: ${c.reason}`,
          );
        let answer: { res: IncomingMessage; body: string };
        try {
          answer = await send(
            c.url,
            method,
            headers,
            body,
            c.privateAllowed,
            resolve,
            limits.fetchBytes,
            signal,
          );
        } catch (err) {
          if (NightshiftError.isInstance(err)) throw err;
          const e = err as Error & { code?: string };
          if (e.name === 'AbortError' || e.name === 'TimeoutError' || signal.aborted)
            throw toolTimeout(`${c.url.host} did not answer within ${limits.fetchSeconds} s`);
          throw toolFailed(`request to ${c.url.host} failed: ${e.code ?? e.message}`);
        }
        const { res } = answer;
        const location = res.headers.location;
        if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
          if (hop >= MAX_REDIRECTS) throw toolFailed(`more than ${MAX_REDIRECTS} redirects`);
          target = new URL(location, c.url).toString();
          // 303, and 301/302 after a POST, turn the request into a GET without a body; every other
          // redirect sends the body again (a GET may carry one too, so 301/302 keep it there).
          const dropsBody =
            res.statusCode === 303 ||
            ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST');
          if (new URL(target).origin !== origin) {
            headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !sensitive.has(k)));
            if (!dropsBody && bodyHasSecret) {
              throw new NightshiftError(
                'SCOPE_VIOLATION',
                `redirected to another origin (${new URL(target).origin}) that would receive a secret in the body; not followed`,
              );
            }
          }
          if (dropsBody) {
            method = 'GET';
            body = undefined;
          }
          continue;
        }
        const keep = ['content-type', 'content-length', 'date', 'etag', 'last-modified'];
        return {
          status: res.statusCode ?? 0,
          url: c.url.toString(),
          headers: Object.fromEntries(
            keep.filter((h) => typeof res.headers[h] === 'string').map((h) => [h, res.headers[h] as string]),
          ),
          body: answer.body,
        };
      }
    },
  });
}

export const httpFetch = createHttpFetch();
