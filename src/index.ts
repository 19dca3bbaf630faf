// The public API: what library users (and nightshift's own CLI) may rely on.

export type { DriveAfterDecision } from './approvals/hand-back.js';
export { AUDIT_ACTIONS } from './audit/actions.js';
export type { AuditChainHead, ChainBreak, ChainedAuditRow } from './audit/chain.js';
export type { AuditVerdict, ExportedAuditEntry } from './audit/read.js';
export { auditEntries, verifyAuditLog } from './audit/read.js';
export type { RunSummary } from './engine/summary.js';
export type { ErrorCode, Issue } from './errors.js';
export { NightshiftError, RoleInvalidError } from './errors.js';
export type { CaseResult, EvalCase, RunSuiteOptions, Suite, SuiteResult } from './evals/index.js';
export { loadSuite, runSuite } from './evals/index.js';
export type { ImproveOptions, ImproveResult } from './improve/index.js';
export { improve } from './improve/index.js';
export type {
  NightshiftEvent,
  NightshiftEventListener,
  NightshiftEventMap,
  NightshiftEventName,
} from './lifecycle-events.js';
export type { Message, Model, ModelRequest, ModelResponse, RetryWait, Usage } from './models/types.js';
export type {
  DecisionKind,
  Notification,
  NotificationChannel,
  PendingDecision,
  Person,
} from './notifications/types.js';
export { DECISIONS_SECRET_ENV, webhookChannel } from './notifications/webhook-channel.js';
export type { PeopleDirectory, PersonSpec } from './people/config.js';
export { mayDecide } from './people/may-decide.js';
export type { PolicyDecision, PolicyInput } from './policy/decide.js';
export { decide } from './policy/decide.js';
export type { Condition, EscalationCategory, EscalationRule } from './roles/conditions.js';
export { defineRole } from './roles/define.js';
export { loadRoleFile } from './roles/load.js';
export type { Autonomy, Budget, Role, RoleSettings, RoleSpec, RoleSpecInput } from './roles/schema.js';
export type {
  AgentStatusView,
  DecisionDrive,
  DeliverOptions,
  Delivery,
  EmitOptions,
  Inbox,
  NotifyOptions,
  NotifyPass,
  RunOptions,
  Runtime,
  RuntimeOptions,
  WorkHandle,
  WorkOptions,
} from './runtime.js';
export { createRuntime } from './runtime.js';
export type { RoleStats, StatsReport } from './stats/report.js';
export { computeStats } from './stats/report.js';
export type * from './store/types.js';
export type { CommitObserver, CommittedBatch, TappedRun } from './telemetry/commit-tap.js';
export { createTraceObserver, type TraceObserver } from './telemetry/traces/export.js';
export { traceIdFor } from './telemetry/traces/ids.js';
export { defineTool } from './tools/define.js';
export type { Effect, ScopeContext, ScopeVerdict, Tool, ToolContext } from './tools/types.js';
export type { AutonomyEvidence, AutonomySuggestion } from './versions/autonomy.js';
export { suggestAutonomy } from './versions/autonomy.js';
export type { AutonomyThresholds, VersionsConfig } from './versions/config.js';
export { autonomyEvidence } from './versions/evidence.js';
export type { PromoteRequest, PromotionContext, PromotionResult } from './versions/promote.js';
export { grantPromotion, promote, refusePromotion, rollback } from './versions/promote.js';
export { roleVersionsView } from './versions/versions.js';
export { authorityWidening } from './versions/widening.js';
