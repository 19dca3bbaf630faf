// A manager run's three decision tools, and how they are judged. They act on the escalated run, through
// the same conditional write a person's answer makes (escalations/decide.ts), signed by the manager
// (`manager:<role>/<run id>`). `escalation.allow` is judged as if the manager's role made the held call
// itself (not for a held result, whose call has already run): its rung, tools, scopes and escalation rules;
// a call beyond them is not allowed, and the matter goes up to people.
import { z } from 'zod';
import type { Clock } from '../clock.js';
import { capAuthority, rungAsCapped } from '../engine/authority-cap.js';
import { judgeCall } from '../engine/judge.js';
import { type OwnJudgement, type PreparedRole, toolSpec } from '../engine/prepare.js';
import { RunState } from '../engine/state.js';
import { NightshiftError } from '../errors.js';
import { type EscalationDecision, settleEscalation } from '../escalations/decide.js';
import type { Budget } from '../roles/schema.js';
import type { EscalationRecord, Store } from '../store/types.js';
import { defineTool } from '../tools/define.js';
import type { AnyTool } from '../tools/types.js';

const Answer = z.object({ text: z.string().min(1).describe('what the escalated agent should know or do') });
const Allow = z.object({ note: z.string().min(1).describe('why the held call may run') });
const Deny = z.object({ reason: z.string().min(1).describe('why not (the escalated agent is told)') });

const TOOLS = {
  'escalation.answer': { input: Answer, decision: 'answer', text: (a: { text: string }) => a.text },
  'escalation.allow': { input: Allow, decision: 'allow', text: (a: { note: string }) => a.note },
  'escalation.deny': { input: Deny, decision: 'deny', text: (a: { reason: string }) => a.reason },
} as const;
type DecisionToolName = keyof typeof TOOLS;

export const DECISION_TOOL_NAMES = Object.keys(TOOLS) as DecisionToolName[];

const DESCRIPTIONS: Record<DecisionToolName, string> = {
  'escalation.answer':
    'Answer the escalation: the escalated run continues with your answer (a held call does not run).',
  'escalation.allow':
    'Let the held tool call run once, exactly as it was asked for. Only within your own authority: a call your own role could not make is refused, and the matter goes to people.',
  'escalation.deny':
    'Refuse the held call (or the request): the escalated run is told why and continues without it.',
};

export interface Deciding {
  store: Store;
  clock: Clock;
  /** The escalation this manager run decides. */
  escalationId: string;
  /** `manager:<role>/<run id>`. */
  actor: string;
  /** The escalated role's budget (a budget escalation answered grants one more allotment). */
  budget: Budget | undefined;
}

function isDecisionTool(name: string): name is DecisionToolName {
  return name in TOOLS;
}

/** The decision tools, bound to one manager run's escalation. Idempotent: a re-run after a crash finds its
 * own decision made and reports it, instead of failing or deciding twice. */
export function decisionTools(d: Deciding): AnyTool[] {
  return DECISION_TOOL_NAMES.map((name) => {
    const t = TOOLS[name];
    return defineTool({
      name,
      description: DESCRIPTIONS[name],
      input: t.input as z.ZodType<Record<string, string>>,
      effect: 'external',
      idempotent: true,
      run: async (args) => {
        const text = (t.text as (a: Record<string, string>) => string)(args);
        const escalation = await d.store.getEscalation(d.escalationId);
        // On a held result, allow is the plain answer (the model sees the result; deny withholds it).
        const decision: EscalationDecision =
          t.decision === 'allow' && escalation?.source === 'result_rule' ? 'answer' : t.decision;
        if (escalation && escalation.status !== 'pending' && escalation.answeredBy === d.actor) {
          // Only this very decision again (a re-run after a crash) is reported as made. Another of this
          // manager's decisions (an allow and a deny asked in one turn) was not: it is refused, naming the
          // one that stands, or the manager would be told it denied a call that was allowed and ran.
          if (isThisDecision(escalation, decision, text))
            return {
              decided: decision,
              escalationId: d.escalationId,
              runId: escalation.runId,
              repeated: true,
            };
          throw new NightshiftError(
            'ESCALATION_NOT_PENDING',
            `escalation ${escalation.id} is already answered by ${d.actor} (${recordedDecision(escalation)}: ${escalation.answer}); this ${decision} was not made`,
          );
        }
        const after = await settleEscalation(d.store, d.clock, {
          escalationId: d.escalationId,
          decision,
          text,
          by: d.actor,
          budget: d.budget,
          byManager: true,
        });
        return {
          decided: decision,
          escalationId: d.escalationId,
          runId: after.run.id,
          status: after.run.status,
        };
      },
    });
  });
}

/**
 * Whether the escalation was settled with exactly this decision and text (what settleEscalation writes:
 * a deny's answer is `denied: <reason>`, an allow sets allowCall), so a re-run of the same call knows it.
 */
function isThisDecision(e: EscalationRecord, decision: EscalationDecision, text: string): boolean {
  const t = text.trim();
  const answer = decision === 'deny' ? `denied: ${t}` : t;
  return e.allowCall === (decision === 'allow') && e.answer === answer;
}

/** The decision recorded on a settled escalation, in a decision tool's words (for a refusal's message). */
function recordedDecision(e: EscalationRecord): EscalationDecision {
  if (e.allowCall) return 'allow';
  return e.answer?.startsWith('denied: ') ? 'deny' : 'answer';
}

/**
 * The verdict on a decision tool call (undefined for any other call: the manager's policy judges it).
 * `manager` is the manager's own prepared role, without the decision tools.
 */
export async function judgeDecision(
  d: Deciding,
  manager: PreparedRole,
  request: { tool: string; args: unknown },
): Promise<OwnJudgement | undefined> {
  if (!isDecisionTool(request.tool)) return undefined;
  const parsed = TOOLS[request.tool].input.safeParse(request.args);
  if (!parsed.success) {
    const why = parsed.error.issues.map((i) => `${i.path.join('.') || 'args'}: ${i.message}`).join('; ');
    return deny(`invalid arguments for ${request.tool}: ${why}`);
  }
  const escalation = await d.store.getEscalation(d.escalationId);
  if (!escalation) return deny(`escalation ${d.escalationId} does not exist`);
  if (escalation.status !== 'pending')
    return deny(`escalation ${escalation.id} is already ${escalation.status} by ${escalation.answeredBy}`);
  const ok = { decision: 'allow' as const, reason: `the manager decides escalation ${escalation.id}` };
  if (request.tool !== 'escalation.allow') return { verdict: ok, parsedArgs: parsed.data };
  // A held *result*: its call has run, and allowing is the plain answer (the model sees the result). It
  // runs nothing, so, like escalation.answer, it needs no authority over the call (escalation-rules.md).
  if (escalation.source === 'result_rule') return { verdict: ok, parsedArgs: parsed.data };
  // A call in flight when its process died may have taken effect: running it again is for a person who
  // has checked the outside world (docs/reliability.md: "a human as the handler of the ambiguous window"),
  // never for an agent that can only read the log. Its allow goes to people; it may still answer or deny.
  if (escalation.source === 'unknown_outcome')
    return {
      verdict: {
        decision: 'escalate',
        reason: `escalation ${escalation.id} holds a call whose outcome is unknown (it was in flight when its process died): whether to run it again is for a person who has checked whether it took effect`,
      },
      parsedArgs: parsed.data,
    };
  const authority = await withinAuthority(d.store, manager, escalation);
  return { verdict: authority, parsedArgs: parsed.data };
}

/** The manager's policy on the held call, as if it made it: allow, or why not (deny, or up to people). */
async function withinAuthority(
  store: Store,
  manager: PreparedRole,
  escalation: EscalationRecord,
): Promise<OwnJudgement['verdict']> {
  const snapshot = await store.loadRun(escalation.runId);
  if (!snapshot) throw new NightshiftError('RUN_NOT_FOUND', `no run ${escalation.runId}`);
  const escalated = new RunState(snapshot);
  const held = escalation.callKey ? escalated.calls.get(escalation.callKey) : undefined;
  if (!held || held.tool === 'escalate')
    return { decision: 'deny', reason: `escalation ${escalation.id} holds no tool call; answer or deny it` };
  // At no more than the escalated run's delegation cap, as for drafts (draft-tools.ts): a manager never
  // lifts the cap an orchestrator put on its specialist.
  const capped = capAuthority(manager, escalated.run);
  const { verdict } = await judgeCall(capped, { tool: held.tool, args: held.args }, escalated.run.input);
  const as = `as the manager's role (${capped.role.name}, ${rungAsCapped(manager, capped)})`;
  switch (verdict.decision) {
    case 'allow':
      return {
        decision: 'allow',
        reason: `${held.tool} is within the manager's authority: ${verdict.reason}`,
      };
    case 'deny':
      return { decision: 'deny', reason: `${held.tool} ${as} would be denied: ${verdict.reason}` };
    case 'draft':
    case 'escalate':
      // Beyond the manager: its own allow escalates, so the matter goes on up to people.
      return {
        decision: 'escalate',
        reason: `${held.tool} is beyond the manager's authority ${as}: ${verdict.reason}`,
        ...(verdict.rule ? { rule: verdict.rule } : {}),
      };
  }
}

function deny(reason: string): OwnJudgement {
  return { verdict: { decision: 'deny', reason }, parsedArgs: undefined };
}

const MANAGER_BRIEF = `

You are deciding an escalation as its manager agent. The input says what was escalated, by which role, why, the held tool call if any, and what the run did so far. Decide with exactly one of escalation.answer, escalation.allow or escalation.deny, or call escalate to pass the matter to people when it is beyond you; then give a short final answer saying what you decided and why.`;

/** The manager's prepared role for one manager run: its own tools, plus the decision tools. */
export function managerPrepared(manager: PreparedRole, d: Deciding): PreparedRole {
  return withDecisionTools(manager, decisionTools(d), MANAGER_BRIEF, (request) =>
    judgeDecision(d, manager, request),
  );
}

/**
 * `manager` (its own prepared role, shared by every run of it) for one manager run: its tools plus `added`,
 * its system prompt plus `brief`, and `judgeOwn` for the added tools' calls.
 */
export function withDecisionTools(
  manager: PreparedRole,
  added: AnyTool[],
  brief: string,
  judgeOwn: NonNullable<PreparedRole['judgeOwn']>,
): PreparedRole {
  const tools = new Map(manager.tools);
  for (const t of added) tools.set(t.name, t);
  return {
    ...manager,
    tools,
    toolSpecs: [...manager.toolSpecs, ...added.map(toolSpec)],
    system: `${manager.system}${brief}`,
    judgeOwn,
    // The manager's own prepared role is shared (cached) by every run of it: not this run's to close.
    dispose: async () => {},
  };
}
