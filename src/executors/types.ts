// The Executor interface: an external agent CLI (Claude Code, Codex) that runs a whole session for a role
// instead of nightshift's own turn loop. It is not a Model (it takes no turns): a role's spec resolves to
// one or the other (models/resolve.ts `resolveAgent`), and the engine switches on which. The runtime keeps authority: every tool use the CLI asks about goes
// through `gate` (which calls the policy), and what a session proposes but may not do is handed back as
// nightshift tool calls that run only through the engine's ledger.

import type { Decision } from '../domain.js';
import type { Usage } from '../models/types.js';

export const EXECUTOR_NAMES = ['claude-code', 'codex'] as const;
export type ExecutorName = (typeof EXECUTOR_NAMES)[number];

/** A tool use the CLI wants to make, already translated to the nightshift tool it amounts to. */
export interface ToolRequest {
  /** The CLI's id for the tool use (tool_use id), or one the executor made up (a diffed file). */
  id: string;
  /** The CLI's own tool name (`Write`, `Bash`, `file_change`). */
  executorTool: string;
  /** The nightshift tool it maps to (`fs.write`), or `<executor>.<Tool>` when there is no equivalent. */
  tool: string;
  args: unknown;
  /**
   * True when the executor does not perform the call itself (Codex drafting on a copy of the workspace):
   * if the policy allows it, nightshift runs it with its own tool after the session.
   */
  deferred?: boolean | undefined;
  /**
   * True when the CLI runs an allowed command inside its own sandbox (Codex's read-only or workspace-write:
   * only the workspace writable, no network). False or absent: it would run unconfined.
   */
  sandboxed?: boolean | undefined;
  /**
   * Set when the CLI works on a copy of the workspace (Codex at draft): the copy's folder. The call is
   * judged against the copy, a `draft` verdict lets the CLI do it there (the copy's diff is what gets
   * drafted), and nothing done on the copy is filed as a call of its own.
   */
  copy?: string | undefined;
}

/** The policy's verdict on a ToolRequest, as the engine recorded it. */
export interface GateVerdict {
  decision: Decision;
  reason: string;
}

/** One event of the session, as it becomes an `executor_event` step. Kept small: no whole transcripts. */
export interface SessionEvent {
  /** The CLI's event type, e.g. `assistant`, `tool_result`, `item.completed/command_execution`. */
  type: string;
  text?: string | undefined;
  tool?: string | undefined;
  input?: unknown;
  isError?: boolean | undefined;
  usage?: Usage | undefined;
}

export interface SessionRequest {
  /** The role's instructions and the run's input, as one prompt. */
  prompt: string;
  /** The role's system prompt (instructions, autonomy, output format). */
  system: string;
  /** The role's workspace (absolute): the session's working directory. */
  workspace: string;
  autonomy: 'observe' | 'draft' | 'sandbox' | 'full';
  /** The nightshift tools the role lists (the executor offers the CLI only their equivalents). */
  roleTools: readonly string[];
  /** Codex at `full`: `danger-full-access` only when the role asks for it. */
  codexSandbox: 'workspace-write' | 'danger-full-access';
  /**
   * Host paths the CLI's commands must not read (the store's data dir, the config file, every role's
   * secrets file, other roles' workspaces): the same list shell.exec hides (ToolContext.protectedPaths).
   */
  protectedPaths: readonly string[];
  /** Most model turns the session may take. */
  maxTurns: number;
  /** Most USD the session may spend, when the CLI can enforce it. */
  maxCostUsd: number;
  signal: AbortSignal;
  /**
   * Set for a continuous role's agent: the session continues the agent's thread (Claude Code's session,
   * Codex's thread) instead of starting afresh, and leaves it resumable for the next event.
   */
  thread?: ThreadRequest | undefined;
  /** Asks the policy about one tool use; the engine records the decision before it returns. */
  gate(request: ToolRequest): Promise<GateVerdict>;
  /** Persists one event as a step (in order; the returned promise settles when it is committed). */
  emit(event: SessionEvent): Promise<void>;
}

/** A continuous agent's conversation with its CLI, kept across the agent's events. */
export interface ThreadRequest {
  /**
   * Whose threads these are (the role's name): the CLI's transcripts are kept in a folder of its own
   * (threads.ts), outside the run, so that the next event, on this worker or another, can continue them.
   */
  owner: string;
  /** The thread to continue (its id, as the CLI gave it), or null: start the agent's first thread. */
  resume: string | null;
}

/** The thread a session ran in (SessionOutcome.thread). */
export interface SessionThread {
  id: string;
  /** True when the session continued the requested thread; false when it started a new one. */
  resumed: boolean;
}

export interface SessionOutcome {
  /** The session's final text (its answer). */
  text: string;
  usage: Usage;
  /** Model turns the session took, as the CLI reported them. */
  turns: number;
  /** The model that answered, as the CLI reported it. */
  modelId: string;
  /** Set when the request asked for a thread and the session got as far as starting or resuming it. */
  thread?: SessionThread | undefined;
  /** Ids of allowed requests the CLI did not carry out after all (Codex refuses a change whole). */
  notDone?: string[] | undefined;
  /** Set when the session failed (a `result` with is_error, a non-zero exit, a crash of the CLI). */
  error?:
    | {
        message: string;
        /** `BUDGET_EXCEEDED` when the CLI stopped at the turn or cost limit it was given. */
        code?: 'BUDGET_EXCEEDED' | undefined;
        details?: Record<string, unknown>;
      }
    | undefined;
}

export interface Executor {
  /** Tells an Executor from a Model where either may turn up (a role's `model:` spec names both). */
  readonly kind: 'executor';
  readonly name: ExecutorName;
  /** The spec it was made from, e.g. `claude-code:claude-sonnet-4-5`. */
  readonly spec: string;
  readonly modelId: string;
  /** Runs one whole session. Never throws for a failed session: it says so in `error`. */
  run(request: SessionRequest): Promise<SessionOutcome>;
}
