// The role file's shape: RoleSpec (as written) and Role (as loaded). The sections it is made of, and the
// settings tools see, are in settings.ts (re-exported here). Key names are a public contract: role files and
// acceptance tests rely on them. Every object is strict, so a misspelt key is an error, not an ignored setting.
import { z } from 'zod';
import { secretNameMessage } from '../config/zod-issues.js';
import type { AnyTool } from '../tools/types.js';
import { EscalationRule } from './conditions.js';
import { EscalatePath } from './escalate-path.js';
import {
  Autonomy,
  Budget,
  Continuous,
  ExecutorSettings,
  Limits,
  ManagerSpec,
  McpServerConfig,
  NotifyConfig,
  Retry,
  ROLE_NAME,
  ROLE_NAME_MAX,
  type RoleSettings,
  Scope,
  SECRET_NAME,
  TOOL_NAME,
  Trigger,
} from './settings.js';

export * from './settings.js';

export const Delegation = z.strictObject({
  /** Levels of specialists below this role (its own specialists are level 1). */
  maxDepth: z.number().int().min(1).max(10).default(3),
  /** Delegations one model turn may start; the calls beyond are refused with an error the model reads. */
  maxFanOut: z.number().int().min(1).max(64).default(4),
});
export type Delegation = z.infer<typeof Delegation>;

/** A JSON Schema, checked for validity by ajv when the role is loaded. */
const JsonSchema = z.record(z.string(), z.unknown());

/** The role as written (in YAML or passed to defineRole), before paths are resolved. */
export const RoleSpec = z.strictObject({
  name: z
    .string()
    // Checked first, and alone when it fails: ROLE_NAME's pattern caps the length too, and its message
    // ("lowercase letters, digits ...") would send the reader looking for a bad character.
    .max(ROLE_NAME_MAX, { abort: true })
    .regex(ROLE_NAME, 'lowercase letters, digits, ".", "_" or "-", starting with a letter or digit'),
  description: z.string().min(1),
  autonomy: Autonomy,
  /** `script:<file>`, `anthropic:<model-id>`, `openai:<model-id>`, ... */
  model: z.string().min(1),
  instructions: z.string().min(1),
  tools: z.array(z.string().regex(TOOL_NAME, 'a tool name such as fs.read or refunds.issue')).default([]),
  /** TypeScript or JavaScript modules (relative to the role file) that export tools made with defineTool. */
  toolModules: z.array(z.string().min(1)).default([]),
  /** Folder (relative to the role file) where fs.* tools may read and write. */
  workspace: z.string().min(1).optional(),
  escalation: z.array(EscalationRule).default([]),
  /** Who is asked when a run waits for a human, in tiers with timeouts (escalate-path.ts). */
  escalate: EscalatePath.optional(),
  budget: Budget.default({ maxSteps: 25, maxCostUsd: 1, maxSeconds: 600, onExceed: 'escalate' }),
  /** JSON Schema of the final output. */
  output: JsonSchema.optional(),
  scope: Scope.default({ commands: [], env: [], network: false, hosts: [], unsandboxedExec: false }),
  limits: Limits.default({
    execSeconds: 30,
    execOutputBytes: 64 * 1024,
    fetchSeconds: 15,
    fetchBytes: 1024 * 1024,
  }),
  /** Names of secrets tools may use, read from the environment (or from secretsFile). */
  secrets: z
    .array(z.string().regex(SECRET_NAME, secretNameMessage('an environment variable name')))
    .default([]),
  /** A KEY=VALUE file (relative to the role file) that secrets are read from before the environment. */
  secretsFile: z.string().min(1).optional(),
  notify: NotifyConfig.default({ webhooks: {} }),
  mcp: z.array(McpServerConfig).default([]),
  triggers: z.array(Trigger).default([]),
  /** JSON Schema every run's input must match, whatever started it. */
  input: JsonSchema.optional(),
  /**
   * `job` (default): each trigger starts a run. `continuous`: one long-lived agent for the role across the
   * cluster, handling its inbox of events one at a time with a context kept in the store.
   */
  mode: z.enum(['job', 'continuous']).default('job'),
  /** At most this many runs of the role execute at once, across every worker (default: no limit). */
  concurrency: z.number().int().positive().max(10_000).optional(),
  retry: Retry.default({ maxAttempts: 3, backoffSeconds: 10, maxBackoffSeconds: 600 }),
  continuous: Continuous.default({
    leaseSeconds: 30,
    heartbeatSeconds: 10,
    maxFailures: 5,
    backoffSeconds: 1,
    maxBackoffSeconds: 300,
  }),
  /** Events emitted, with the run's output as payload, when a run of this role succeeds. */
  emit: z
    .array(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._:-]*$/, 'an event name such as ticket.triaged'))
    .default([]),
  executor: ExecutorSettings.optional(),
  /**
   * Other role files (relative to this one) this role may hand work to: each becomes a tool
   * `delegate.<specialist name>` whose call is a child run of the specialist (docs/orchestration.md).
   */
  specialists: z.array(z.string().min(1)).default([]),
  /** Bounds on delegation: how deep a chain of specialists may go, how many one turn may start. */
  delegation: Delegation.default({ maxDepth: 3, maxFanOut: 4 }),
  /** The manager agent every escalation of this role goes to first (a role file, relative to this one). */
  manager: ManagerSpec.optional(),
  /** The role's eval suite (relative to this file): what `nightshift eval` runs (docs/evals.md). */
  evals: z.string().min(1).optional(),
});
export type RoleSpecInput = z.input<typeof RoleSpec>;
export type RoleSpec = z.infer<typeof RoleSpec>;

/**
 * A loaded role: validated, with paths made absolute and a content version. This is what the engine runs.
 */
export interface Role extends RoleSettings {
  /** Tools passed as objects to defineRole (not persisted; a resumed run must be given them again). */
  inlineTools: AnyTool[];
  /**
   * The specialists this role may delegate to, loaded (absent in roles stored before delegation). Kept in
   * the stored role version, so a resumed run delegates to the specialists it started with.
   */
  specialists?: Role[] | undefined;
  delegation?: Delegation | undefined;
  /** The eval suite file (absolute), when the role names one. Not part of the version. */
  evals?: string | undefined;
}
