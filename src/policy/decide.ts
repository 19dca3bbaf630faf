// The policy: one pure function that decides every tool call before anything runs. No I/O, no clock:
// the engine gathers the facts (tool declaration, argument validation, scope verdict) and this function
// turns them into allow / draft / escalate / deny with a reason. The model never decides its own authority.
import type { Autonomy, Decision, Effect } from '../domain.js';
import type { EscalationRule } from '../roles/conditions.js';
import { holdsAtCall, holdsAtResult, holdsAtStart } from '../roles/rule-moments.js';
import type { ScopeVerdict } from '../tools/types.js';

export const ESCALATE_TOOL = 'escalate';

export interface PolicyInput {
  autonomy: Autonomy;
  /** The tool names the role lists (its whole authority). */
  roleTools: readonly string[];
  call: { tool: string; args: unknown };
  /** The tool's declaration, or undefined when no such tool is known to the runtime. */
  tool: { effect: Effect; approval: 'policy' | 'always' } | undefined;
  /** Why the arguments failed the tool's input schema, if they did. */
  argsError: string | undefined;
  scope: ScopeVerdict;
  escalation: readonly EscalationRule[];
  /** The run's input, for escalation rules that combine input and call conditions. */
  input?: unknown;
  /**
   * The arguments as the call will really act on them (the scope check's `canonical` put over the
   * arguments), when they differ from the arguments as given. Escalation rules are matched against both.
   */
  canonicalArgs?: unknown;
}

export interface PolicyDecision {
  decision: Decision;
  reason: string;
  /** The escalation rule that matched, when decision is `escalate` because of a rule. */
  rule?: { index: number; category: EscalationRule['category'] };
}

/**
 * Decides one tool call. Order matters and is part of the contract:
 * escalate tool → unknown/unlisted tool → invalid arguments → observe (read only) → scope → escalation
 * rules → approval: always → draft → sandbox (scoped tools only) → allow.
 */
export function decide(input: PolicyInput): PolicyDecision {
  const { autonomy, call, tool } = input;

  if (call.tool === ESCALATE_TOOL) {
    if (input.argsError) return deny(`invalid arguments for escalate: ${input.argsError}`);
    return { decision: 'escalate', reason: 'the agent asked for a human' };
  }
  if (!input.roleTools.includes(call.tool) || tool === undefined) {
    const allowed = input.roleTools.length > 0 ? input.roleTools.join(', ') : 'none';
    return deny(
      `tool '${call.tool}' is not in this role's tools (allowed: ${allowed}; escalate is always available)`,
    );
  }
  if (input.argsError) return deny(`invalid arguments for ${call.tool}: ${input.argsError}`);
  if (autonomy === 'observe' && tool.effect !== 'read') {
    return deny(`autonomy 'observe' runs only read tools; ${call.tool} has effect '${tool.effect}'`);
  }
  if (input.scope.kind === 'outside') return deny(`outside the role's scope: ${input.scope.reason}`);

  const subject = { call, input: input.input };
  // The same call as it will act: a rule on `^deploy/` must see `./deploy/x` and `a/../deploy/x` as
  // `deploy/x`. A rule that matches either form holds the call, so no spelling slips past one.
  const canonical =
    input.canonicalArgs === undefined
      ? undefined
      : { call: { tool: call.tool, args: input.canonicalArgs }, input: input.input };
  for (const [index, rule] of input.escalation.entries()) {
    // Rules on results wait for the result; what the input alone settles was checked at start, so a rule
    // holds here only when this call makes it true (roles/rule-moments.ts).
    if (holdsAtCall(rule, subject) || (canonical !== undefined && holdsAtCall(rule, canonical))) {
      const why = rule.reason ? `: ${rule.reason}` : '';
      return {
        decision: 'escalate',
        reason: `escalation rule ${index} (${rule.category}) matched ${call.tool}${why}`,
        rule: { index, category: rule.category },
      };
    }
  }

  if (tool.approval === 'always') {
    return { decision: 'draft', reason: `${call.tool} requires human approval at every autonomy level` };
  }
  if (autonomy === 'draft' && tool.effect !== 'read') {
    return {
      decision: 'draft',
      reason: `autonomy 'draft': ${call.tool} (${tool.effect}) waits for human approval`,
    };
  }
  if (autonomy === 'sandbox' && tool.effect !== 'read' && input.scope.kind !== 'inside') {
    return deny(
      `autonomy 'sandbox' runs ${tool.effect} tools only inside a declared scope; ${call.tool} declares none`,
    );
  }
  return { decision: 'allow', reason: `autonomy '${autonomy}' allows ${call.tool} (${tool.effect})` };
}

function deny(reason: string): PolicyDecision {
  return { decision: 'deny', reason };
}

/**
 * The escalation rules a run's input alone makes true, whatever its calls will be (checked once, before the
 * first model call): input-only rules, and rules whose input part settles them (`any: [input, tool]`).
 */
export function inputEscalations(
  rules: readonly EscalationRule[],
  input: unknown,
): { index: number; rule: EscalationRule }[] {
  const out: { index: number; rule: EscalationRule }[] = [];
  for (const [index, rule] of rules.entries()) {
    if (holdsAtStart(rule, input)) out.push({ index, rule });
  }
  return out;
}

/**
 * The first escalation rule on results that matches a call's committed result, if any: the run pauses
 * with the result held from the model until a human (or a manager) answers. Results of calls that did not
 * run (denied, rejected, answered) are never checked.
 */
export function resultEscalation(
  rules: readonly EscalationRule[],
  subject: { call: { tool: string; args: unknown }; input: unknown; result: unknown },
): PolicyDecision | undefined {
  const facts = { call: subject.call, input: subject.input, result: { value: subject.result } };
  for (const [index, rule] of rules.entries()) {
    if (!holdsAtResult(rule, facts)) continue;
    const why = rule.reason ? `: ${rule.reason}` : '';
    return {
      decision: 'escalate',
      reason: `escalation rule ${index} (${rule.category}) matched the result of ${subject.call.tool}${why}`,
      rule: { index, category: rule.category },
    };
  }
  return undefined;
}
