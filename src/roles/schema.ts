// The role file's shape. Key names here are a public contract: role files and acceptance tests rely on
// them. Every object is strict, so a misspelt key is an error instead of a silently ignored setting.
import { z } from 'zod';
import type { AnyTool } from '../tools/types.js';
import { EscalationRule } from './conditions.js';

export const AUTONOMY_LEVELS = ['observe', 'draft', 'sandbox', 'full'] as const;
export const Autonomy = z.enum(AUTONOMY_LEVELS);
export type Autonomy = z.infer<typeof Autonomy>;

export const Budget = z.strictObject({
  /** Model turns a run may take. */
  maxSteps: z.number().int().positive().default(25),
  /** Total model cost in USD a run may spend. */
  maxCostUsd: z.number().positive().default(1),
  /** Active seconds a run may take (time spent paused for a human does not count). */
  maxSeconds: z.number().positive().default(600),
  /** What an overrun does: pause the run and ask a human (default), or fail it. */
  onExceed: z.enum(['escalate', 'fail']).default('escalate'),
});
export type Budget = z.infer<typeof Budget>;

export const ROLE_NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const TOOL_NAME = /^[a-zA-Z][a-zA-Z0-9_-]*(\.[a-zA-Z][a-zA-Z0-9_-]*)*$/;

/** A JSON Schema, checked for validity by ajv when the role is loaded. */
const JsonSchema = z.record(z.string(), z.unknown());

/** The role as written (in YAML or passed to defineRole), before paths are resolved. */
export const RoleSpec = z.strictObject({
  name: z
    .string()
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
  budget: Budget.default({ maxSteps: 25, maxCostUsd: 1, maxSeconds: 600, onExceed: 'escalate' }),
  /** JSON Schema of the final output. */
  output: JsonSchema.optional(),
});
export type RoleSpecInput = z.input<typeof RoleSpec>;
export type RoleSpec = z.infer<typeof RoleSpec>;

/**
 * A loaded role: validated, with paths made absolute and a content version. This is what the engine runs.
 */
export interface Role {
  name: string;
  description: string;
  autonomy: Autonomy;
  model: string;
  instructions: string;
  tools: string[];
  toolModules: string[];
  workspace: string | undefined;
  escalation: EscalationRule[];
  budget: Budget;
  output: Record<string, unknown> | undefined;
  /** sha256 (hex, first 16 chars) of the resolved content, including files the role refers to. */
  version: string;
  /** Where the role came from: a file path, or `defineRole` with its base directory. */
  source: { file: string | undefined; dir: string };
  /** Tools passed as objects to defineRole (not persisted; a resumed run must be given them again). */
  inlineTools: AnyTool[];
}
