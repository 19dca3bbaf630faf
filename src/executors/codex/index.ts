// The codex executor: a whole Codex session driven through `codex app-server` (JSON-RPC on stdio), with
// nightshift as the approver. The approval policy is `untrusted`, so Codex asks before every command and
// every file change; each request is judged by the engine's gate (the same policy as every other call) and
// answered accept or decline before anything runs. Codex's own sandbox stays underneath: observe →
// read-only; draft → workspace-write on a copy of the workspace, whose diff becomes a change set;
// sandbox → workspace-write; full → workspace-write unless the role asks for danger-full-access. The
// read-only and workspace-write sandboxes are permission profiles that also deny reading the paths
// nightshift protects (permissions.ts).
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type PriceTable, priceOf } from '../../models/pricing.js';
import type { Usage } from '../../models/types.js';
import { clip } from '../claude-code/messages.js';
import { othersThreads, threadsDir } from '../threads.js';
import type { Executor, SessionOutcome, SessionRequest } from '../types.js';
import { type AppServer, AppServerError, startAppServer } from './app-server.js';
import { refuseCodexConfig } from './approvals.js';
import { approver } from './approver.js';
import { readCodexNotification } from './events.js';
import { PROFILE_ID, permissionProfile } from './permissions.js';
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
export function codexConfig(
  o: Pick<CodexOptions, 'modelId' | 'baseUrl'>,
  sandbox: CodexSandbox,
  protectedPaths: readonly string[],
): string {
  return [
    `model = ${toml(o.modelId)}`,
    'model_provider = "nightshift"',
    // The sandbox, with the protected paths unreadable (a permission profile; see permissions.ts).
    ...(sandbox === 'danger-full-access' ? [] : [`default_permissions = ${toml(PROFILE_ID)}`]),
    // No tools whose calls Codex would make without asking: web search, sub-agents, goals.
    'web_search = "disabled"',
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
    'multi_agent = false',
    'goals = false',
    // The shell snapshot runs the login shell once at start, outside any approval.
    'shell_snapshot = false',
    '',
    // Unsandboxed (danger-full-access, asked for in thread/start): no profile, nothing it could deny.
    sandbox === 'danger-full-access' ? '' : permissionProfile(sandbox, protectedPaths),
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

/** The command and arguments that start `codex app-server` (through this Node for `bin/codex.js`). */
function appServerCommand(cliPath: string): [string, string[]] {
  return cliPath.endsWith('.js') ? [process.execPath, [cliPath, 'app-server']] : [cliPath, ['app-server']];
}

function sessionEnv(o: CodexOptions, home: string, codexHome: string): Record<string, string> {
  const env: Record<string, string> = {
    CODEX_HOME: codexHome,
    // Commands run in a login shell; a private HOME keeps the host's profile out of them.
    HOME: join(home, 'home'),
    NIGHTSHIFT_CODEX_API_KEY: o.apiKey,
  };
  for (const name of ['PATH', 'LANG', 'TZ', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'SSL_CERT_FILE']) {
    const value = o.env[name];
    if (value) env[name] = value;
  }
  return env;
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

interface Session {
  answer: string;
  turns: number;
  tokens: Omit<Usage, 'costUsd'>;
  failure?: string | undefined;
  problem?: string | undefined;
  /** Allowed calls Codex did not make: another file of the same change was refused, so none was applied. */
  notDone: string[];
  /** The thread the session ran in, once Codex started or resumed it (continuous agents only). */
  thread?: { id: string; resumed: boolean } | undefined;
}

/** How app-server reports each sandbox mode in `thread/start`'s answer (its legacy `sandbox` field). */
const SANDBOX_TYPES: Record<CodexSandbox, string> = {
  'read-only': 'readOnly',
  'workspace-write': 'workspaceWrite',
  'danger-full-access': 'dangerFullAccess',
};

async function drive(
  o: CodexOptions,
  r: SessionRequest,
  s: Session,
  cwd: string,
  sandbox: CodexSandbox,
  home: string,
  codexHome: string,
  onCopy: boolean,
): Promise<void> {
  const approvals = approver(r, s.notDone, cwd, sandbox !== 'danger-full-access', onCopy);
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  const [command, argv] = appServerCommand(o.cliPath);
  const server: AppServer = startAppServer({
    command,
    argv,
    cwd,
    env: sessionEnv(o, home, codexHome),
    onRequest: (method, params) => approvals.onRequest(method, params),
    async onNotification(method, params) {
      const notice = readCodexNotification(method, params);
      if (notice.fileChange) approvals.announce(notice.fileChange.itemId, notice.fileChange.changes);
      if (notice.event) await r.emit(notice.event);
      if (notice.answer !== undefined) s.answer = notice.answer;
      if (notice.problem) s.problem = notice.problem;
      if (notice.usage) {
        s.turns++;
        s.tokens = notice.usage;
      }
      if (notice.completed) {
        s.failure = notice.completed.failure;
        finish();
      }
    },
  });
  const stop = () => server.stop();
  r.signal.addEventListener('abort', stop, { once: true });
  try {
    const exited = server.exited.then((exit) => {
      throw new Error(
        r.signal.aborted
          ? 'stopped'
          : `codex app-server exited with ${exit.code ?? exit.signal}: ${clip(exit.stderr.trim(), 1000)}`,
      );
    });
    const session = (async () => {
      await server.request('initialize', {
        clientInfo: { name: 'nightshift', title: null, version: '1' },
        capabilities: { experimentalApi: false, requestAttestation: false },
      });
      server.notify('initialized');
      const settings = {
        cwd,
        model: o.modelId,
        approvalPolicy: 'untrusted',
        // The sandboxed modes come from the permission profile in config.toml (Codex refuses both).
        ...(sandbox === 'danger-full-access' ? { sandbox } : {}),
        developerInstructions: r.system,
      };
      const thread = (await openThread(server, r, s, settings)) as {
        thread?: { id?: string };
        approvalPolicy?: unknown;
        sandbox?: { type?: string; networkAccess?: unknown };
      };
      const threadId = thread?.thread?.id;
      if (!threadId) throw new Error('thread/start answered without a thread id');
      if (r.thread) s.thread = { id: threadId, resumed: s.thread?.resumed ?? false };
      // `untrusted` makes Codex ask before every command and file change, even those it deems safe
      // (`cat`, `ls`). A Codex that would not ask is not run (it is refused in config.toml, so it is
      // set per thread, and checked).
      if (thread.approvalPolicy !== 'untrusted')
        throw new Error(
          `Codex runs this thread with approval policy ${JSON.stringify(thread.approvalPolicy)}, not "untrusted": it would not ask before every command`,
        );
      // Nor one whose sandbox is not the one asked for (commands are judged as running inside it).
      const expected = SANDBOX_TYPES[sandbox];
      if (
        thread.sandbox?.type !== expected ||
        (sandbox !== 'danger-full-access' && thread.sandbox.networkAccess !== false)
      )
        throw new Error(
          `Codex runs this thread in sandbox ${JSON.stringify(thread.sandbox)}, not ${expected} without network`,
        );
      // The prompt goes over stdin, inside the request: never in argv.
      await server.request('turn/start', {
        threadId,
        input: [{ type: 'text', text: r.prompt, text_elements: [] }],
      });
      await finished;
    })();
    await Promise.race([session, exited]);
  } finally {
    r.signal.removeEventListener('abort', stop);
    server.stop();
    await server.exited;
  }
}

/**
 * Starts the session's thread: a new, ephemeral one, or for a continuous agent its stored thread resumed
 * (kept on disk for the next event). A stored thread Codex cannot resume (its rollout is gone: swept, or
 * kept on another machine) is replaced by a new one, and the run's log says why: the event is handled.
 */
async function openThread(
  server: AppServer,
  r: SessionRequest,
  s: Session,
  settings: Record<string, unknown>,
): Promise<unknown> {
  const stored = r.thread?.resume;
  if (stored) {
    try {
      const resumed = await server.request('thread/resume', {
        threadId: stored,
        ...settings,
        excludeTurns: true,
      });
      s.thread = { id: stored, resumed: true };
      return resumed;
    } catch (err) {
      if (!(err instanceof AppServerError)) throw err;
      await r.emit({
        type: 'thread/not_resumed',
        text: `Codex thread ${stored} cannot be resumed (${clip(err.message, 500)}); starting a new thread`,
        isError: true,
      });
    }
  }
  return server.request('thread/start', { ...settings, ephemeral: r.thread === undefined });
}

async function runSession(o: CodexOptions, r: SessionRequest): Promise<SessionOutcome> {
  const root = codexHomeRoot(o.env);
  await mkdir(root, { recursive: true, mode: 0o700 });
  const home = await mkdtemp(join(root, 'session-'));
  const sandbox = codexSandboxFor(r);
  const drafting = r.autonomy === 'draft' && sandbox !== 'read-only';
  const s: Session = {
    answer: '',
    turns: 0,
    tokens: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0 },
    notDone: [],
  };
  const outcome = (): SessionOutcome => ({
    text: s.answer,
    usage: { ...s.tokens, costUsd: costOf(o.spec, s.tokens, o.prices) },
    turns: s.turns,
    modelId: o.modelId,
    ...(s.notDone.length > 0 ? { notDone: s.notDone } : {}),
    ...(s.thread ? { thread: s.thread } : {}),
  });
  try {
    await refuseCodexConfig(r.workspace);
    // A continuous agent's CODEX_HOME outlives the session: its threads (rollouts) are kept there.
    const codexHome = r.thread ? threadsDir(o.env, 'codex', r.thread.owner) : join(home, 'codex');
    await mkdir(codexHome, { recursive: true, mode: 0o700 });
    await mkdir(join(home, 'home'));
    const others = othersThreads(o.env, r.thread && { executor: 'codex', owner: r.thread.owner });
    await writeFile(
      join(codexHome, 'config.toml'),
      codexConfig(o, sandbox, [...r.protectedPaths, ...others]),
    );
    const cwd = drafting ? join(home, 'draft') : r.workspace;
    if (drafting) await copyWorkspace(r.workspace, cwd);
    await r.emit({
      type: 'sandbox',
      text: drafting ? `${sandbox} on a copy of the workspace (changes become drafts)` : sandbox,
    });
    await drive(o, r, s, cwd, sandbox, home, codexHome, drafting);
    if (s.failure) {
      const result = outcome();
      result.error = { message: `codex session failed: ${s.failure}` };
      return result;
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
    return outcome();
  } catch (err) {
    const result = outcome();
    const why = r.signal.aborted ? 'stopped' : (err as Error).message;
    result.error = {
      message: `codex session failed: ${why}${s.problem && !r.signal.aborted ? ` (${s.problem})` : ''}`,
    };
    return result;
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
