// Runs the real `nightshift` CLI (bin/nightshift.js over the built dist/) as a child process.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './paths.js';

export const cliPath = join(repoRoot, 'bin', 'nightshift.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
}

/** Starts the CLI; the caller may kill it. */
export function startCli(
  args: string[],
  options: CliOptions = {},
): { child: ChildProcess; done: Promise<CliResult>; stdout: () => string } {
  const child = spawn(process.execPath, [cliPath, ...args], {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, NIGHTSHIFT_ACTOR: 'tester', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, stdout: () => stdout };
}

export interface Served {
  child: ChildProcess;
  /** The daemon's base URL, as it announced it. */
  url: string;
  done: Promise<CliResult>;
  /** Everything it printed on stdout so far (its log: JSON lines). */
  stdout: () => string;
  /**
   * A service token (runs:read, events:send, operate) created in the same store before serve started, for
   * POST /events and GET /metrics; '' if it could not be created (the requests then fail with 401).
   */
  token: string;
  /** `{authorization: 'Bearer <token>'}`, to spread into a request's headers. */
  auth: Record<string, string>;
}

const tokensByOrigin = new Map<string, string>();

/**
 * `{authorization: 'Bearer <token>'}` for the daemon at `url` that startServe started (its test-client
 * token), or `{}` for one it did not: spread it into the headers of a request to /events or /metrics.
 */
export function authFor(url: string): Record<string, string> {
  const token = tokensByOrigin.get(new URL(url).origin);
  return token ? { authorization: `Bearer ${token}` } : {};
}

/** The service tokens' scopes the test client gets: everything a service may hold. */
export const TEST_CLIENT_SCOPES = 'runs:read,events:send,operate';

/** Creates a service token in the store that `args` (its --data-dir) and `options` (env, cwd) name. */
export async function createTestToken(
  args: readonly string[],
  options: CliOptions = {},
  scopes = TEST_CLIENT_SCOPES,
): Promise<string> {
  const i = args.indexOf('--data-dir');
  const dataDir = i >= 0 ? ['--data-dir', args[i + 1]!] : [];
  const r = await runCli(
    [
      'token',
      'create',
      '--service',
      '--as',
      'test-client',
      '--scope',
      scopes,
      '--expires',
      '1d',
      '--json',
      ...dataDir,
    ],
    options,
  );
  return r.code === 0 ? (JSON.parse(r.stdout) as { token: string }).token : '';
}

/**
 * Starts `nightshift serve <args>` and resolves once it announces its URL (it is then ready: store open,
 * worker running, wake-ups subscribed); rejects, with its stderr, if it exits first.
 */
export async function startServe(args: string[], options: CliOptions = {}): Promise<Served> {
  const token = args.includes('--worker-only') ? '' : await createTestToken(args, options);
  const { child, done, stdout } = startCli(['serve', ...args], options);
  let stderr = '';
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr!.on('data', (d) => {
      stderr += d;
      const m = /at (http:\/\/[^\s"]+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    done.then((r) => reject(new Error(`serve exited early: ${r.code} ${r.stderr}`)));
  });
  if (token) tokensByOrigin.set(new URL(url).origin, token);
  return { child, url, done, stdout, token, auth: { authorization: `Bearer ${token}` } };
}

export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

export function json<T = Record<string, unknown>>(r: CliResult): T {
  try {
    return JSON.parse(r.stdout) as T;
  } catch {
    throw new Error(`CLI printed no JSON (exit ${r.code}):\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  }
}
