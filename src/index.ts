// The public API: what library users (and nightshift's own CLI) may rely on.
export { createRuntime } from './runtime.js';
export type { Inbox, Runtime, RunOptions, RuntimeOptions } from './runtime.js';
export { defineRole } from './roles/define.js';
export { loadRoleFile } from './roles/load.js';
export type { Role, RoleSpec, RoleSpecInput, Autonomy, Budget } from './roles/schema.js';
export type { EscalationRule, Condition, EscalationCategory } from './roles/conditions.js';
export { defineTool } from './tools/define.js';
export type { Tool, Effect, ToolContext, ScopeVerdict, ScopeContext } from './tools/types.js';
export type { Model, ModelRequest, ModelResponse, Message, Usage } from './models/types.js';
export { decide } from './policy/decide.js';
export type { PolicyInput, PolicyDecision } from './policy/decide.js';
export type { RunSummary } from './engine/summary.js';
export type * from './store/types.js';
export { NightshiftError, RoleInvalidError } from './errors.js';
export type { ErrorCode, Issue } from './errors.js';
