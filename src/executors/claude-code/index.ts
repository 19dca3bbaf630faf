// The claude-code executor: a whole Claude Code session through the Agent SDK's `query()`, with nightshift
// as the permission authority. Permission mode `default` makes Claude ask before every write or command;
// `canUseTool` and a PreToolUse hook (which also sees the tool uses Claude would allow on its own, such as
// reads and read-only commands) both ask the engine's gate, once per tool use.
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { emptyUsage } from '../../models/types.js';
import { claudeTranscriptExists, threadsDir } from '../threads.js';
import type { Executor, GateVerdict, SessionOutcome, SessionRequest, ThreadRequest } from '../types.js';
import { type ClaudeResult, clip, readClaudeMessage, sessionIdOf } from './messages.js';
import { claudeToolsFor, toNightshiftCall } from './tool-map.js';

export interface ClaudeCodeOptions {
  spec: string;
  modelId: string;
  /** The SDK's module file (`sdk.mjs`), loaded on the first session. */
  sdkEntry: string;
  /** A claude executable to use instead of the one the SDK ships. */
  cliPath: string | undefined;
  apiKey: string;
  baseUrl: string | undefined;
  env: NodeJS.ProcessEnv;
}

/** Results that mean the session hit the turn or cost limit nightshift gave it from the role's budget. */
const BUDGET_SUBTYPES = ['error_max_turns', 'error_max_budget_usd'];

type PermissionResult =
  | { behavior: 'allow'; updatedInput: Record<string, unknown> }
  | { behavior: 'deny'; message: string };

interface ClaudeSdk {
  query(params: { prompt: string; options: Record<string, unknown> }): AsyncIterable<unknown>;
}

/** What Claude is told when the policy does not let a tool use happen in the session. */
export function denialMessage(verdict: GateVerdict): string {
  switch (verdict.decision) {
    case 'draft':
      return `nightshift recorded this call as a draft for human approval (${verdict.reason}). It has NOT been applied; nightshift applies it after a human approves. Do not retry it or work around it: carry on, and mention the drafted change in your final answer.`;
    case 'escalate':
      return `nightshift held this call for a human (${verdict.reason}). It has NOT been applied. Do not retry it; carry on, and mention it in your final answer.`;
    default:
      return `denied by nightshift policy: ${verdict.reason}`;
  }
}

/** The environment the CLI gets: nothing of nightshift's own beyond what it needs, and a private home. */
function sessionEnv(o: ClaudeCodeOptions, home: string, configDir: string): Record<string, string> {
  const env: Record<string, string> = {
    HOME: home,
    CLAUDE_CONFIG_DIR: configDir,
    ANTHROPIC_API_KEY: o.apiKey,
    // No telemetry, error reports, update checks or other calls home: only the API is contacted.
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_AGENT_SDK_CLIENT_APP: 'nightshift',
    // The CLI retries an unreachable API 10 times (minutes); the run should fail sooner and say why.
    CLAUDE_CODE_MAX_RETRIES: o.env.NIGHTSHIFT_CLAUDE_MAX_RETRIES?.trim() || '2',
  };
  if (o.baseUrl) env.ANTHROPIC_BASE_URL = o.baseUrl;
  for (const name of ['PATH', 'LANG', 'TZ', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'NODE_EXTRA_CA_CERTS']) {
    const value = o.env[name];
    if (value) env[name] = value;
  }
  return env;
}

async function runSession(o: ClaudeCodeOptions, r: SessionRequest): Promise<SessionOutcome> {
  const sdk = (await import(pathToFileURL(o.sdkEntry).href)) as ClaudeSdk;
  const home = await mkdtemp(join(tmpdir(), 'nightshift-claude-'));
  // A continuous agent's session is kept (and continued) in the agent's own config folder; any other
  // session lives and dies with its temp home.
  const thread = r.thread ? await threadFor(o, r, r.thread) : undefined;
  const configDir = thread?.configDir ?? join(home, '.claude');
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  r.signal.addEventListener('abort', onAbort, { once: true });

  // One decision per tool use: the hook and canUseTool may both ask about the same one.
  const verdicts = new Map<string, Promise<PermissionResult>>();
  const decideOnce = (
    name: string,
    input: unknown,
    toolUseId: string | undefined,
  ): Promise<PermissionResult> => {
    // Without an id (not seen in 0.3.331) there is nothing to share a decision by: decide again.
    const id = toolUseId || `unnamed-${randomUUID()}`;
    let verdict = verdicts.get(id);
    if (!verdict) {
      const args = (input ?? {}) as Record<string, unknown>;
      const call = toNightshiftCall(r.workspace, name, args);
      verdict = r
        .gate({ id, executorTool: name, tool: call.tool, args: call.args })
        .then(
          (v): PermissionResult =>
            v.decision === 'allow'
              ? { behavior: 'allow', updatedInput: args }
              : { behavior: 'deny', message: denialMessage(v) },
        );
      verdicts.set(id, verdict);
    }
    return verdict;
  };

  const stderr: string[] = [];
  let result: ClaudeResult | undefined;
  let model = o.modelId;
  let failure: string | undefined;
  let sessionId: string | undefined;
  try {
    const messages = sdk.query({
      prompt: r.prompt,
      options: {
        cwd: r.workspace,
        model: o.modelId,
        systemPrompt: { type: 'preset', preset: 'claude_code', append: r.system },
        // `default`: Claude asks before every write and command, so canUseTool sees them all.
        permissionMode: 'default',
        canUseTool: (name: string, input: unknown, options: { toolUseID: string }) =>
          decideOnce(name, input, options.toolUseID),
        hooks: {
          PreToolUse: [
            {
              hooks: [
                async (input: { tool_name: string; tool_input: unknown; tool_use_id: string }) => {
                  const v = await decideOnce(input.tool_name, input.tool_input, input.tool_use_id);
                  return v.behavior === 'deny'
                    ? {
                        hookSpecificOutput: {
                          hookEventName: 'PreToolUse',
                          permissionDecision: 'deny',
                          permissionDecisionReason: v.message,
                        },
                      }
                    : {};
                },
              ],
            },
          ],
        },
        // Only the tools whose nightshift equivalents the role lists exist in the session at all.
        tools: claudeToolsFor(r.roleTools),
        // No user, project or local settings: a settings file in the workspace must not grant permissions.
        settingSources: [],
        persistSession: thread !== undefined,
        ...(thread?.resume ? { resume: thread.resume } : {}),
        maxTurns: r.maxTurns,
        maxBudgetUsd: r.maxCostUsd,
        env: sessionEnv(o, home, configDir),
        abortController: abort,
        stderr: (data: string) => {
          stderr.push(data);
          if (stderr.length > 50) stderr.shift();
        },
        ...(o.cliPath ? { pathToClaudeCodeExecutable: o.cliPath } : {}),
      },
    });
    for await (const raw of messages) {
      sessionId ??= sessionIdOf(raw);
      const read = readClaudeMessage(raw);
      if (read.model) model = read.model;
      for (const event of read.events) await r.emit(event);
      if (read.result) result = read.result;
    }
  } catch (err) {
    // The CLI exits non-zero after an error result; the result says more than the exit code.
    failure = `${(err as Error)?.message ?? String(err)}${stderr.length ? `; stderr: ${clip(stderr.join('').trim(), 1000)}` : ''}`;
  } finally {
    r.signal.removeEventListener('abort', onAbort);
    await rm(home, { recursive: true, force: true }).catch(() => {});
  }
  const ranIn =
    thread && sessionId ? { thread: { id: sessionId, resumed: sessionId === thread.resume } } : {};
  if (!result) {
    return {
      text: '',
      usage: emptyUsage(),
      turns: 0,
      modelId: model,
      error: { message: `claude-code ended without a result: ${failure ?? 'no messages'}` },
      ...ranIn,
    };
  }
  const outcome: SessionOutcome = {
    text: result.text,
    usage: result.usage,
    turns: result.turns,
    modelId: model,
    ...ranIn,
  };
  if (result.isError) {
    const why = result.text || result.errors.join('; ') || result.subtype;
    outcome.error = {
      message: `claude-code session failed (${result.subtype}): ${clip(why, 1000)}`,
      details: { subtype: result.subtype, errors: result.errors },
      ...(BUDGET_SUBTYPES.includes(result.subtype) ? { code: 'BUDGET_EXCEEDED' as const } : {}),
    };
  }
  return outcome;
}

/**
 * The agent's config folder, and the session to resume: the stored one if its transcript is there. A
 * stored session whose transcript is gone (swept, or kept on another machine) is not asked for, since
 * Claude Code would fail the whole session; a new one starts, and the run's log says why.
 */
async function threadFor(
  o: ClaudeCodeOptions,
  r: SessionRequest,
  wanted: ThreadRequest,
): Promise<{ configDir: string; resume: string | undefined }> {
  const configDir = threadsDir(o.env, 'claude-code', wanted.owner);
  await mkdir(configDir, { recursive: true, mode: 0o700 });
  const stored = wanted.resume;
  if (stored === null) return { configDir, resume: undefined };
  if (claudeTranscriptExists(configDir, stored)) return { configDir, resume: stored };
  await r.emit({
    type: 'thread/not_resumed',
    text: `Claude Code session ${stored} cannot be resumed: its transcript is not in ${configDir} (swept, or kept on another machine); starting a new session`,
    isError: true,
  });
  return { configDir, resume: undefined };
}

export function createClaudeCodeExecutor(options: ClaudeCodeOptions): Executor {
  return {
    kind: 'executor',
    name: 'claude-code',
    spec: options.spec,
    modelId: options.modelId,
    run: (request) => runSession(options, request),
  };
}
