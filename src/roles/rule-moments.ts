// When an escalation rule is checked, and what holding means at each moment (decision 076). Every rule is
// checked against the run's input when the run starts; after that, at its own moment (each tool call before
// it runs, or each committed result for a rule on results), where only the call can make it hold again.
import { type Condition, type ConditionSubject, type EscalationRule, matches } from './conditions.js';

export type RuleMoment = 'start' | 'call' | 'result';

const moments = new WeakMap<object, RuleMoment>();

/**
 * The latest fact a rule needs: the input only (`start`), a tool call (`call`), or a call's result
 * (`result`). A rule that mentions a result anywhere is checked only once the result exists, with the call
 * and the input too: checked before, `not: { result: ... }` would hold every call.
 */
export function ruleMoment(condition: Condition): RuleMoment {
  let moment = moments.get(condition);
  if (moment === undefined) {
    moment = momentOf(condition);
    moments.set(condition, moment);
  }
  return moment;
}

function momentOf(c: Condition): RuleMoment {
  if ('all' in c || 'any' in c) {
    const parts = ('all' in c ? c.all : c.any).map(momentOf);
    return parts.includes('result') ? 'result' : parts.includes('call') ? 'call' : 'start';
  }
  if ('not' in c) return momentOf(c.not);
  return 'input' in c ? 'start' : 'result' in c ? 'result' : 'call';
}

/** The facts a partial check knows: the run's input, or the call's own (its arguments, and its result). */
type Known = 'input' | 'call';

/**
 * The condition's value when only the `known` facts count: true or false when they settle it whatever the
 * others are, undefined when they do not. Three-valued (Kleene): `any` is true once one part is, `all` false
 * once one part is, and `not` of an unsettled part is unsettled. So `any: [input X, tool W]` is settled
 * true by an input with X, and `all: [input X, tool W]` is not (it waits for a call of W).
 */
function settledBy(c: Condition, subject: ConditionSubject, known: Known): boolean | undefined {
  if ('all' in c) {
    let out: boolean | undefined = true;
    for (const part of c.all) {
      const v = settledBy(part, subject, known);
      if (v === false) return false;
      if (v === undefined) out = undefined;
    }
    return out;
  }
  if ('any' in c) {
    let out: boolean | undefined = false;
    for (const part of c.any) {
      const v = settledBy(part, subject, known);
      if (v === true) return true;
      if (v === undefined) out = undefined;
    }
    return out;
  }
  if ('not' in c) {
    const v = settledBy(c.not, subject, known);
    return v === undefined ? undefined : !v;
  }
  const onInput = 'input' in c;
  if (onInput !== (known === 'input')) return undefined;
  return matches(c, subject);
}

/**
 * Whether the run's input alone makes the rule true, whatever calls and results follow: the run then
 * pauses once, when it starts, before the first model call (an `input_rule` escalation). Any rule can:
 * an input-only rule, and a rule such as `any: [input X, tool W]` whose input part settles it.
 */
export function holdsAtStart(rule: EscalationRule, input: unknown): boolean {
  return settledBy(rule.when, { input }, 'input') === true;
}

/**
 * After the start, a rule holds at its moment only when the call itself makes it true: it holds with
 * every fact, and either the input alone does not settle it (`all: [input X, tool W]` at a call of W), or
 * the call's own facts settle it whatever the input (`any: [input X, tool W]` at a call of W). A rule that
 * the input settled was checked (and answered) at start: it is not raised again at every call.
 */
function holdsAfterStart(condition: Condition, subject: ConditionSubject): boolean {
  if (!matches(condition, subject)) return false;
  if (settledBy(condition, subject, 'input') !== true) return true;
  return settledBy(condition, subject, 'call') === true;
}

/** Whether a rule holds a tool call before it runs (rules on results never do: they wait for the result). */
export function holdsAtCall(
  rule: EscalationRule,
  subject: { call: { tool: string; args: unknown }; input: unknown },
): boolean {
  return ruleMoment(rule.when) === 'call' && holdsAfterStart(rule.when, subject);
}

/** Whether a rule on results holds a call's committed result (with the call and the input). */
export function holdsAtResult(
  rule: EscalationRule,
  subject: { call: { tool: string; args: unknown }; input: unknown; result: { value: unknown } },
): boolean {
  return ruleMoment(rule.when) === 'result' && holdsAfterStart(rule.when, subject);
}
