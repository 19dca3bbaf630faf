// The codex executor: a whole `codex exec --json` session. Codex has no per-call permission callback in
// exec mode, so the ladder maps onto its sandbox: observe → read-only; draft → workspace-write on a copy of
// the workspace, whose diff becomes a change set for approval; sandbox → workspace-write with only the
// workspace writable; full → the role's choice (workspace-write unless it asks for danger-full-access).
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { type PriceTable, priceOf } from '../../models/pricing.js';
import { emptyUsage, type Usage } from '../../models/types.js';
import { clip } from '../claude-code/messages.js';
import type { Executor, SessionOutcome, SessionRequest } from '../types.js';
import { readCodexLine } from './events.js';
import { copyWorkspace, diffWorkspace } from './workspace-copy.js';

export interface CodexOptions {
  spec: string;
  modelId: string;
  /** The codex executable, or its `bin/codex.js` (run with this Node). */
  cliPath: string;
  apiKey: string;
  /** The Responses API base URL, e.g. `https://api.openai.com/v1`. */
  baseUrl: string;
  env: NodeJS.ProcessEnv;
  prices?: PriceTable | undefined;
}

export type CodexSandbox = 'read-only' | 'workspace-write' | 'danger-full-access';

const WRITE_TOOLS = ['fs.write', 'fs.edit', 'fs.delete'];

/** The sandbox a session runs in, for the role's rung (draft works on a copy, so it may write there). */
export function codexSandboxFor(
  r: Pick<SessionRequest, 'autonomy' | 'roleTools' | 'codexSandbox'>,
): CodexSandbox {
  // A role that lists no write tool may not write at any rung.
  if (r.autonomy === 'observe' || !r.roleTools.some((t) => WRITE_TOOLS.includes(t))) return 'read-only';
  if (r.autonomy === 'full') return r.codexSandbox;
  return 'workspace-write';
}

const toml = (value: string) => JSON.stringify(value);

/**
 * A private CODEX_HOME: the provider nightshift was given (a custom `model_providers` entry speaking the
 * Responses API over HTTPS, not the built-in one, which tries WebSockets first), and nothing that phones
 * home (analytics, plugins).
 */
export function codexConfig(o: Pick<CodexOptions, 'modelId' | 'baseUrl'>): string {
  return [
    `model = ${toml(o.modelId)}`,
    'model_provider = "nightshift"',
    'approval_policy = "never"',
    '',
    '[model_providers.nightshift]',
    'name = "nightshift"',
    `base_url = ${toml(o.baseUrl)}`,
    'wire_api = "responses"',
    'env_key = "NIGHTSHIFT_CODEX_API_KEY"',
    'request_max_retries = 2',
    'stream_max_retries = 2',
    '',
    '[analytics]',
    'enabled = false',
    '',
    '[features]',
    'plugins = false',
    '',
    // Only the workspace is writable: not $TMPDIR, not /tmp, no network.
    '[sandbox_workspace_write]',
    'exclude_tmpdir_env_var = true',
    'exclude_slash_tmp = true',
    'network_access = false',
    '',
  ].join('\n');
}

function costOf(spec: string, usage: Omit<Usage, 'costUsd'>, prices: PriceTable | undefined): number {
  // An override for `codex:<model>` first (no default table entry has that form), then the OpenAI price.
  const price = priceOf(spec, prices) ?? priceOf(`openai:${spec.slice(spec.indexOf(':') + 1)}`, prices);
  if (!price) return 0;
  const cached = Math.min(usage.cachedInputTokens, usage.inputTokens);
  return (
    ((usage.inputTokens - cached) * price.input +
      cached * (price.cachedInput ?? price.input) +
      usage.outputTokens * price.output) /
    1e6
  );
}

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

async function runCodex(
  o: CodexOptions,
  r: SessionRequest,
  cwd: string,
  sandbox: CodexSandbox,
  home: string,
  onLine: (line: string) => Promise<void>,
): Promise<Exit> {
  const args = [
    'exec',
    '--json',
    '--skip-git-repo-check',
    '--ephemeral',
    '--ignore-rules',
    '--sandbox',
    sandbox,
    '--cd',
    cwd,
    '-m',
    o.modelId,
    `${r.system}\n\n${r.prompt}`,
  ];
  const [command, argv] = o.cliPath.endsWith('.js')
    ? [process.execPath, [o.cliPath, ...args]]
    : [o.cliPath, args];
  const env: Record<string, string> = {
    CODEX_HOME: join(home, 'codex'),
    // Commands run in a login shell; a private HOME keeps the host's profile out of them.
    HOME: join(home, 'home'),
    NIGHTSHIFT_CODEX_API_KEY: o.apiKey,
  };
  for (const name of ['PATH', 'LANG', 'TZ', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'SSL_CERT_FILE']) {
    const value = o.env[name];
    if (value) env[name] = value;
  }
  // stdin is /dev/null: with a pipe, codex exec waits to read more instructions from it.
  const child = spawn(command, argv, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr.push(d);
    if (stderr.length > 50) stderr.shift();
  });
  const kill = () => child.kill('SIGTERM');
  r.signal.addEventListener('abort', kill, { once: true });
  const exited = new Promise<Exit>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stderr: stderr.join('') }));
    child.on('error', (err) =>
      resolve({ code: -1, signal: null, stderr: `${err.message}\n${stderr.join('')}` }),
    );
  });
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.trim()) await onLine(line);
    }
    return await exited;
  } finally {
    r.signal.removeEventListener('abort', kill);
  }
}

/**
 * Where private CODEX_HOMEs are made. Not under /tmp: Codex refuses to create its sandbox helper
 * (`codex-linux-sandbox`) under a temporary folder, and without it bubblewrap cannot start any command.
 */
export function codexHomeRoot(env: NodeJS.ProcessEnv): string {
  const configured = env.NIGHTSHIFT_CODEX_HOME_ROOT?.trim();
  if (configured) return configured;
  const cache = env.XDG_CACHE_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.cache');
  return join(cache, 'nightshift', 'codex-sessions');
}

async function runSession(o: CodexOptions, r: SessionRequest): Promise<SessionOutcome> {
  const root = codexHomeRoot(o.env);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const home = await mkdtemp(join(root, 'session-'));
  const sandbox = codexSandboxFor(r);
  const drafting = r.autonomy === 'draft' && sandbox !== 'read-only';
  let answer = '';
  let failure: string | undefined;
  let problem: string | undefined;
  let turns = 0;
  const tokens = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 };
  try {
    await mkdir(join(home, 'codex'));
    await mkdir(join(home, 'home'));
    await writeFile(join(home, 'codex', 'config.toml'), codexConfig(o));
    const cwd = drafting ? join(home, 'draft') : r.workspace;
    if (drafting) await copyWorkspace(r.workspace, cwd);
    await r.emit({
      type: 'sandbox',
      text: drafting ? `${sandbox} on a copy of the workspace (changes become drafts)` : sandbox,
    });
    const exit = await runCodex(o, r, cwd, sandbox, home, async (line) => {
      const read = readCodexLine(line);
      if (read.event) await r.emit(read.event);
      if (read.answer !== undefined) answer = read.answer;
      if (read.failure) failure = read.failure;
      if (read.problem) problem = read.problem;
      if (read.usage) {
        turns++;
        tokens.inputTokens += read.usage.inputTokens;
        tokens.outputTokens += read.usage.outputTokens;
        tokens.cachedInputTokens += read.usage.cachedInputTokens;
      }
    });
    const usage: Usage = { ...tokens, costUsd: costOf(o.spec, tokens, o.prices) };
    const outcome: SessionOutcome = { text: answer, usage, turns, modelId: o.modelId };
    if (failure || exit.code !== 0) {
      const why =
        failure ??
        problem ??
        (r.signal.aborted
          ? 'stopped'
          : `codex exited with ${exit.code ?? exit.signal}: ${clip(exit.stderr.trim(), 1000)}`);
      outcome.error = { message: `codex session failed: ${why}`, details: { exitCode: exit.code } };
      return outcome;
    }
    if (drafting) {
      // The session's changes, as calls the policy decides on and nightshift runs only after approval.
      for (const [i, change] of (await diffWorkspace(r.workspace, cwd)).entries()) {
        const id = `change-${i}`;
        if (change.kind === 'write')
          await r.gate({
            id,
            executorTool: 'file_change',
            tool: 'fs.write',
            args: { path: change.path, content: change.content },
            deferred: true,
          });
        else if (change.kind === 'delete')
          await r.gate({
            id,
            executorTool: 'file_change',
            tool: 'fs.delete',
            args: { path: change.path },
            deferred: true,
          });
        else
          await r.gate({
            id,
            executorTool: 'file_change',
            tool: 'codex.unsupported_change',
            args: { path: change.path, reason: change.reason },
            deferred: true,
          });
      }
    }
    return outcome;
  } catch (err) {
    return {
      text: answer,
      usage: { ...emptyUsage(), ...tokens },
      turns,
      modelId: o.modelId,
      error: { message: `codex session failed: ${(err as Error).message}` },
    };
  } finally {
    await rm(home, { recursive: true, force: true }).catch(() => {});
  }
}

export function createCodexExecutor(options: CodexOptions): Executor {
  return {
    kind: 'executor',
    name: 'codex',
    spec: options.spec,
    modelId: options.modelId,
    run: (request) => runSession(options, request),
  };
}
