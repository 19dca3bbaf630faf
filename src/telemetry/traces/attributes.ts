// The attribute names spans carry: the OpenTelemetry GenAI semantic conventions (still "development" in
// semantic-conventions 1.45, so written out here rather than imported from its `incubating` entry point,
// as that package advises) and nightshift's own.
export const GEN_AI = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  agentName: 'gen_ai.agent.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  finishReasons: 'gen_ai.response.finish_reasons',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolCallArguments: 'gen_ai.tool.call.arguments',
  toolCallResult: 'gen_ai.tool.call.result',
  outputMessages: 'gen_ai.output.messages',
} as const;

export const NIGHTSHIFT = {
  runId: 'nightshift.run_id',
  role: 'nightshift.role',
  roleVersion: 'nightshift.role_version',
  autonomy: 'nightshift.autonomy',
  decision: 'nightshift.decision',
  decisionReason: 'nightshift.decision_reason',
  ruleCategory: 'nightshift.rule_category',
  decidedBy: 'nightshift.decided_by',
  runStatus: 'nightshift.run_status',
  step: 'nightshift.step',
  /** On a tool span: the seq of the model turn that asked for the call. */
  modelTurnStep: 'nightshift.model_turn_step',
  executor: 'nightshift.executor',
  toolStopped: 'nightshift.tool_stopped',
  approvalId: 'nightshift.approval_id',
  escalationId: 'nightshift.escalation_id',
  escalationCategory: 'nightshift.escalation_category',
  costUsd: 'nightshift.usage.cost_usd',
} as const;
