// `nightshift serve` settings from three places, in this order of precedence: command-line flags, then
// NIGHTSHIFT_* environment variables, then the `serve:` section of nightshift.config.yaml, then defaults.
// Each value says where it came from, so a bad one is reported with its source.
import { NightshiftError } from '../errors.js';
import { HTTP_LIMITS } from '../server/http-limits.js';
import type { ServeConfig } from './project.js';
import { MAX_TIMER_MS } from './timer-limit.js';
import { wholeNumber } from './whole-number.js';

export interface ServeSettings {
  host: string;
  port: number;
  /** Worker processes on this machine (this one included). */
  workers: number;
  /** Runs at a time per worker process. */
  concurrency: number;
  pollMs: number;
  graceMs: number;
  leaseMs: number;
  /**
   * How long a run's drives may meet nothing but a busy database (statement or lock timeouts, a full
   * pool) before the busy time costs it an attempt (STORE_BUSY after its last). Not read at start:
   * a busy database then still fails the start.
   */
  storeBusyLimitMs: number;
  /** Open event streams per token, and in all (src/server/api/stream.ts). */
  streamsPerToken: number;
  streams: number;
  streamHeartbeatMs: number;
  /**
   * How far V8 lets the JS heap grow past what the last full collection kept, in percent (V8's
   * --heap-growing-percent; 0: V8's own policy, which lets it grow up to 4×). Applied by server/heap-growth.ts.
   */
  heapGrowingPercent: number;
  /**
   * The origin people reach serve at (`--public-url`, NIGHTSHIFT_PUBLIC_URL, serve.publicUrl), accepted on
   * the console's and login forms besides the Host header's; undefined: Host's only.
   */
  publicOrigin: string | undefined;
  /** The HTTP server's slow-client limits (server/http-limits.ts). */
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** The settings when nothing sets them. */
export const SERVE_DEFAULTS: Readonly<ServeSettings> = {
  host: '127.0.0.1',
  port: 7070,
  workers: 1,
  concurrency: 4,
  pollMs: 200,
  graceMs: 10_000,
  leaseMs: 30_000,
  storeBusyLimitMs: 10 * 60_000,
  streamsPerToken: 8,
  streams: 256,
  streamHeartbeatMs: 15_000,
  heapGrowingPercent: 50,
  publicOrigin: undefined,
  ...HTTP_LIMITS,
};

/**
 * `flag` absent: set only in the environment or the config file. `max` is the config file's bound
 * (project.ts), so a flag or variable cannot pass what the file may not: a port past 65535, 1000 worker
 * processes, or a poll interval past the timers' limit, which Node would run every millisecond.
 */
const NUMERIC: {
  key: Exclude<keyof ServeSettings, 'host' | 'publicOrigin'>;
  flag?: string;
  env: string;
  min: number;
  max: number;
}[] = [
  { key: 'port', flag: '--port', env: 'NIGHTSHIFT_PORT', min: 0, max: 65_535 },
  { key: 'workers', flag: '--workers', env: 'NIGHTSHIFT_WORKERS', min: 1, max: 64 },
  { key: 'concurrency', flag: '--concurrency', env: 'NIGHTSHIFT_CONCURRENCY', min: 1, max: 10_000 },
  { key: 'pollMs', flag: '--poll-ms', env: 'NIGHTSHIFT_POLL_MS', min: 1, max: MAX_TIMER_MS },
  { key: 'graceMs', flag: '--grace-ms', env: 'NIGHTSHIFT_GRACE_MS', min: 0, max: MAX_TIMER_MS },
  { key: 'leaseMs', flag: '--lease-ms', env: 'NIGHTSHIFT_LEASE_MS', min: 100, max: MAX_TIMER_MS },
  { key: 'storeBusyLimitMs', env: 'NIGHTSHIFT_STORE_BUSY_LIMIT_MS', min: 0, max: MAX_TIMER_MS },
  { key: 'streamsPerToken', env: 'NIGHTSHIFT_STREAMS_PER_TOKEN', min: 1, max: Number.MAX_SAFE_INTEGER },
  { key: 'streams', env: 'NIGHTSHIFT_STREAMS', min: 1, max: Number.MAX_SAFE_INTEGER },
  { key: 'streamHeartbeatMs', env: 'NIGHTSHIFT_STREAM_HEARTBEAT_MS', min: 10, max: MAX_TIMER_MS },
  { key: 'heapGrowingPercent', env: 'NIGHTSHIFT_HEAP_GROWING_PERCENT', min: 0, max: 1_000 },
  { key: 'headersTimeoutMs', env: 'NIGHTSHIFT_HEADERS_TIMEOUT_MS', min: 100, max: MAX_TIMER_MS },
  { key: 'requestTimeoutMs', env: 'NIGHTSHIFT_REQUEST_TIMEOUT_MS', min: 100, max: MAX_TIMER_MS },
  { key: 'keepAliveTimeoutMs', env: 'NIGHTSHIFT_KEEP_ALIVE_TIMEOUT_MS', min: 100, max: MAX_TIMER_MS },
  { key: 'maxConnections', env: 'NIGHTSHIFT_MAX_CONNECTIONS', min: 1, max: 1_000_000 },
];

export function resolveServeSettings(
  flags: Partial<Record<keyof ServeSettings | 'publicUrl', string>>,
  env: NodeJS.ProcessEnv,
  config: ServeConfig,
  configFile: string | undefined,
): ServeSettings {
  const out: ServeSettings = { ...SERVE_DEFAULTS };
  // An empty --host would make Node listen on every interface while the banner shows `http://:port`:
  // refused. An empty variable counts as unset, as the numeric ones below.
  if (flags.host !== undefined && flags.host.trim() === '')
    throw new NightshiftError('USAGE', `--host needs an address or host name, got '${flags.host}'`);
  const envHost = env.NIGHTSHIFT_HOST?.trim() ? env.NIGHTSHIFT_HOST : undefined;
  out.host = flags.host ?? envHost ?? config.host ?? SERVE_DEFAULTS.host;
  /** The settings a flag, variable or the config file set (not left at their defaults). */
  const given = new Map<keyof ServeSettings, string>();
  for (const { key, flag, env: name, min, max } of NUMERIC) {
    const [raw, source] =
      flag && flags[key] !== undefined
        ? [flags[key], flag]
        : env[name] !== undefined && env[name] !== ''
          ? [env[name], name]
          : config[key] !== undefined
            ? [String(config[key]), `serve.${key} in ${configFile ?? 'nightshift.config.yaml'}`]
            : [undefined, ''];
    if (raw === undefined) continue;
    // Flags and variables as typed: digits only, as every integer flag (config/whole-number.ts). The
    // config file's value is a YAML number its schema (project.ts) already took.
    out[key] = wholeNumber(raw, source, min, max);
    given.set(key, source);
  }
  // Node cuts a request whose headers are still arriving when requestTimeout ends anyway: a headers
  // timeout past it would be a setting that does nothing. Only the request timeout set (10 s, shorter
  // than the headers' 20 s default): the headers get the same time, as the person meant. Both set, and
  // the headers' longer: refused, naming both.
  if (out.headersTimeoutMs > out.requestTimeoutMs) {
    if (!given.has('headersTimeoutMs')) out.headersTimeoutMs = out.requestTimeoutMs;
    else
      throw new NightshiftError(
        'USAGE',
        `the headers timeout (${out.headersTimeoutMs} ms, ${given.get('headersTimeoutMs')}) must not be longer than the request timeout (${out.requestTimeoutMs} ms, ${given.get('requestTimeoutMs') ?? 'the default'}): lower the first or raise the second`,
      );
  }
  out.publicOrigin = publicOriginOf(flags.publicUrl, env, config, configFile);
  return out;
}

/**
 * The resolved settings as the NIGHTSHIFT_* variables that give them, for `serve --workers N`'s worker-only
 * children: forked with these in their environment (and no flags but `--worker-only`, `--data-dir`,
 * `--no-metrics`), each resolves exactly what its parent did, whichever of flag, variable or config file
 * the parent took a setting from. Listing flags for them missed one: `--grace-ms` never reached a child,
 * which drained with the 10 s default while its parent had said 1 s.
 */
export function settingsEnv(settings: ServeSettings): Record<string, string> {
  const env: Record<string, string> = { NIGHTSHIFT_HOST: settings.host };
  for (const { key, env: name } of NUMERIC) env[name] = String(settings[key]);
  if (settings.publicOrigin !== undefined) env.NIGHTSHIFT_PUBLIC_URL = settings.publicOrigin;
  return env;
}

/** `--public-url`, NIGHTSHIFT_PUBLIC_URL or serve.publicUrl, as an origin; a bad one is refused with its source. */
function publicOriginOf(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  config: ServeConfig,
  configFile: string | undefined,
): string | undefined {
  const [raw, source] =
    flag !== undefined
      ? [flag, '--public-url']
      : env.NIGHTSHIFT_PUBLIC_URL
        ? [env.NIGHTSHIFT_PUBLIC_URL, 'NIGHTSHIFT_PUBLIC_URL']
        : [config.publicUrl, `serve.publicUrl in ${configFile ?? 'nightshift.config.yaml'}`];
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {}
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new NightshiftError(
      'USAGE',
      `${source} must be an http(s) URL people reach serve at (https://agents.example.com), got '${raw}'`,
    );
  return url.origin;
}
