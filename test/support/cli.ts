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
}

/**
 * Starts `nightshift serve <args>` and resolves once it announces its URL (it is then ready: store open,
 * worker running, wake-ups subscribed); rejects, with its stderr, if it exits first.
 */
export async function startServe(args: string[], options: CliOptions = {}): Promise<Served> {
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
  return { child, url, done, stdout };
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
