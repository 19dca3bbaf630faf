// What a tool is. The policy reads only the declared facts (effect, approval, idempotent, scope verdict);
// it never runs a tool to learn what it would do.
import type { z } from 'zod';
import type { Effect } from '../domain.js';
import type { RoleSettings } from '../roles/settings.js';
import type { Secrets } from './secrets.js';

// What a tool does to the world (read, write, exec, external) is part of the runtime's vocabulary.
export type { Effect } from '../domain.js';
export { EFFECTS } from '../domain.js';

/** The verdict of a tool's own scope check (workspace paths, allowed hosts, allowed commands). */
export type ScopeVerdict =
  | {
      kind: 'inside';
      /**
       * Arguments as the call will really act on them, for escalation rules: a rule matches the call if
       * it matches the arguments as given or with these put over them. fs tools give `path` relative to
       * the workspace's real path (no `./`, `..` or symlink left), http.fetch the parsed `url`, so
       * `./deploy/x` cannot slip past a rule on `^deploy/`.
       */
      canonical?: Record<string, unknown>;
    }
  | { kind: 'outside'; reason: string }
  /** The tool declares no scope: allowed at `full`, denied for non-read effects at `sandbox`. */
  | { kind: 'unscoped' };

export interface ToolContext {
  role: RoleSettings;
  runId: string;
  /** Stable for one call across retries and resumes: `<runId>:<step>:<callIndex>`. Pass it to providers. */
  idempotencyKey: string;
  /**
   * The fencing token of the worker making the call: the run lease's epoch, which goes up every time a
   * worker takes the run (a takeover, a resume). Pass it with the idempotency key; a receiver that keeps
   * the highest token it has seen per run can refuse a lower one: a worker that was frozen past its lease
   * and woke up mid-call (docs/tools.md, "Fencing tokens").
   */
  fencingToken: number;
  /** The role's workspace (absolute), if it has one. */
  workspace: string | undefined;
  /**
   * Aborted when the call must stop: this worker lost the run's lease, or the run's time budget
   * (`budget.maxSeconds`) ran out. The engine stops waiting for the call then; a tool that ignores the
   * signal keeps running in the background, and its result is dropped.
   */
  signal: AbortSignal;
  /** The role's declared secrets, by name. Values a tool returns are redacted before anything is stored. */
  secrets: Secrets;
  /**
   * Host paths no tool may expose: the store's data dir, the project config file, every known role's
   * secrets file and the other roles' workspaces. shell.exec covers those inside its sandbox's view;
   * the fs tools refuse them (workspace.ts refuseProtected).
   */
  protectedPaths?: readonly string[];
}

export interface ScopeContext {
  role: RoleSettings;
  workspace: string | undefined;
  /**
   * The same protected paths as ToolContext.protectedPaths, so a scope check can call a protected path
   * outside the role's scope when the policy decides, before anything runs or a person is asked.
   */
  protectedPaths?: readonly string[];
}

export interface Tool<Input = unknown, Output = unknown> {
  readonly kind: 'nightshift.tool';
  name: string;
  description: string;
  input: z.ZodType<Input>;
  effect: Effect;
  /** `always`: drafted for human approval at every autonomy level (money movement, production access). */
  approval: 'policy' | 'always';
  /**
   * Safe to run again with the same idempotency key after a crash left its outcome unknown. A call recorded
   * as started but not finished is re-run only when this is true; otherwise the run escalates. A function
   * decides per call (fs.write: overwriting is idempotent, appending is not). Unsaid: a `read` tool is
   * (nothing to repeat), every other effect is not. Kept unsaid rather than filled in, so a tool spread
   * into another definition stays unsaid and a role's version hash reads it as before (roles/version.ts).
   */
  idempotent?: boolean | ((args: Input) => boolean);
  /** Checks the call against the role's scope before anything runs. May do read-only I/O (realpath). */
  scope?: (args: Input, ctx: ScopeContext) => Promise<ScopeVerdict> | ScopeVerdict;
  run: (args: Input, ctx: ToolContext) => Promise<Output> | Output;
  /** The JSON Schema offered to models, when it is known better than zod can say (MCP tools). */
  jsonSchema?: Record<string, unknown>;
}

export interface ToolDefinition<Input, Output> {
  jsonSchema?: Record<string, unknown>;
  name: string;
  description: string;
  input: z.ZodType<Input>;
  effect: Effect;
  approval?: 'policy' | 'always';
  /** Default: `true` for a `read` tool (nothing to repeat), `false` for every other effect. */
  idempotent?: boolean | ((args: Input) => boolean);
  scope?: (args: Input, ctx: ScopeContext) => Promise<ScopeVerdict> | ScopeVerdict;
  run: (args: Input, ctx: ToolContext) => Promise<Output> | Output;
}

// biome-ignore lint/suspicious/noExplicitAny: a registry holds tools of every input type.
export type AnyTool = Tool<any, any>;

/** The description of a tool offered to a model: name, purpose and JSON Schema of its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Whether a call of this tool with these arguments may be re-run after its outcome was lost. */
export function isIdempotent(tool: AnyTool, args: unknown): boolean {
  const said = tool.idempotent;
  if (said === undefined) return tool.effect === 'read';
  if (typeof said === 'boolean') return said;
  try {
    return said(tool.input.parse(args)) === true;
  } catch {
    return false;
  }
}
