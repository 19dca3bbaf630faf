// Escalation conditions are data: structured predicates evaluated by a small interpreter. Nothing in a
// role file is ever passed to eval or new Function.
import { z } from 'zod';
import { type EscalationCategory as DomainEscalationCategory, ESCALATION_CATEGORIES } from '../domain.js';
import { regexFinds, roleRegex } from './role-regex.js';
import { emptyReason, type VoidForm } from './void-conditions.js';

export { ESCALATION_CATEGORIES } from '../domain.js';
export const EscalationCategory = z.enum(ESCALATION_CATEGORIES);
export type EscalationCategory = DomainEscalationCategory;

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/**
 * A text or a list of texts, none of them empty: an empty one (or an empty list) would make the condition
 * hold for everything or for nothing (void-conditions.ts).
 */
function Texts(one: VoidForm, list: VoidForm) {
  const text = z.string().min(1, emptyReason(one));
  return z.union([text, z.array(text).min(1, emptyReason(list))]);
}

/** The operators a tool or result condition applies to the value it reads. */
const ValueOperators = {
  eq: Scalar.optional(),
  ne: Scalar.optional(),
  gt: z.number().optional(),
  gte: z.number().optional(),
  lt: z.number().optional(),
  lte: z.number().optional(),
  in: z.array(Scalar).min(1, emptyReason('in: []')).optional(),
  contains: Texts("contains: ''", 'contains: []').optional(),
  matches: z.string().min(1, emptyReason("matches: ''")).optional(),
  exists: z.boolean().optional(),
};
type ValueOperators = { [K in keyof typeof ValueOperators]?: z.infer<(typeof ValueOperators)[K]> };

const ToolNames = Texts("tool: ''", 'tool: []');

/**
 * A predicate on one tool call: `{ tool: refunds.issue, arg: amount, gt: 100 }`.
 * `tool` names one tool or a list; `arg` is a dotted path into the call's arguments. With no operator the
 * condition matches every call of the tool(s).
 */
export const ToolCondition = z.strictObject({
  tool: ToolNames,
  arg: z.string().min(1).optional(),
  ...ValueOperators,
});
export type ToolCondition = z.infer<typeof ToolCondition>;

/**
 * A predicate on the run's input, matched against its JSON text: keywords (case-insensitive) or regular
 * expressions. `{ input: { contains: [lawsuit, attorney] } }`.
 */
export const InputCondition = z.strictObject({
  input: z
    .strictObject({
      contains: Texts("contains: ''", 'contains: []').optional(),
      matches: Texts("matches: ''", 'matches: []').optional(),
      /** Dotted path of input fields that must be present and non-empty ("missing input" escalation). */
      missing: Texts("missing: ''", 'missing: []').optional(),
    })
    .refine((c) => c.contains !== undefined || c.matches !== undefined || c.missing !== undefined, {
      message: emptyReason('input: {}'),
      // Not over a key already refused (`input: { match: x }`): the misspelling is the problem to fix.
      when: (payload) => payload.issues.length === 0,
    }),
});
export type InputCondition = z.infer<typeof InputCondition>;

/**
 * A predicate on a tool's result, checked when the result is committed and before the model sees it:
 * `{ result: { tool: monitor.check, path: severity, eq: critical } }`. `path` is a dotted path into the
 * result's JSON (the whole result without it); the operators are a tool condition's.
 */
export const ResultCondition = z.strictObject({
  result: z.strictObject({
    tool: ToolNames,
    path: z.string().min(1).optional(),
    ...ValueOperators,
  }),
});
export type ResultCondition = z.infer<typeof ResultCondition>;

export type Condition =
  | ToolCondition
  | InputCondition
  | ResultCondition
  | { all: Condition[] }
  | { any: Condition[] }
  | { not: Condition };

export const Condition: z.ZodType<Condition, Condition> = z.lazy(() =>
  z.union([
    ToolCondition,
    InputCondition,
    ResultCondition,
    z.strictObject({ all: z.array(Condition).min(1, emptyReason('all: []')) }),
    z.strictObject({ any: z.array(Condition).min(1, emptyReason('any: []')) }),
    z.strictObject({ not: Condition }),
  ]),
);

export const EscalationRule = z.strictObject({
  category: EscalationCategory,
  /** Why this rule exists, shown to the human who answers. */
  reason: z.string().optional(),
  when: Condition,
});
export type EscalationRule = z.infer<typeof EscalationRule>;

/** What the condition interpreter sees: a tool call, the run's input, the call's result, or several. */
export interface ConditionSubject {
  call?: { tool: string; args: unknown };
  input?: unknown;
  /** The result of `call`, once it ran (result rules). */
  result?: { value: unknown };
}

const MAX_MATCH_TEXT = 64 * 1024;

/** Reads `a.b.0.c` from a value; undefined when any segment is missing. */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  return current;
}

function asList<T>(v: T | T[] | undefined): T[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/** Validates that every `matches` in a condition compiles; returns the messages of those that do not. */
export function regexProblems(condition: Condition, path = 'when'): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const check = (src: string, p: string) => {
    try {
      roleRegex(src);
    } catch (err) {
      out.push({
        path: p,
        message: `invalid regular expression ${JSON.stringify(src)}: ${(err as Error).message}`,
      });
    }
  };
  if ('all' in condition) {
    for (const [i, c] of condition.all.entries()) out.push(...regexProblems(c, `${path}.all[${i}]`));
  } else if ('any' in condition) {
    for (const [i, c] of condition.any.entries()) out.push(...regexProblems(c, `${path}.any[${i}]`));
  } else if ('not' in condition) out.push(...regexProblems(condition.not, `${path}.not`));
  else if ('input' in condition) {
    for (const m of asList(condition.input.matches)) check(m, `${path}.input.matches`);
  } else if ('result' in condition) {
    if (condition.result.matches !== undefined) check(condition.result.matches, `${path}.result.matches`);
  } else if (condition.matches !== undefined) check(condition.matches, `${path}.matches`);
  return out;
}

/** Every tool name a condition names (`tool:`, a result's `tool:`), with where it is written. */
export function conditionToolNames(condition: Condition, path = 'when'): { path: string; name: string }[] {
  const named = (tool: string | string[], p: string) =>
    Array.isArray(tool) ? tool.map((name, i) => ({ path: `${p}[${i}]`, name })) : [{ path: p, name: tool }];
  if ('all' in condition) return condition.all.flatMap((c, i) => conditionToolNames(c, `${path}.all[${i}]`));
  if ('any' in condition) return condition.any.flatMap((c, i) => conditionToolNames(c, `${path}.any[${i}]`));
  if ('not' in condition) return conditionToolNames(condition.not, `${path}.not`);
  if ('input' in condition) return [];
  if ('result' in condition) return named(condition.result.tool, `${path}.result.tool`);
  return named(condition.tool, `${path}.tool`);
}

function isEmpty(v: unknown): boolean {
  return v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);
}

function textOf(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v ?? null);
}

/**
 * A role's regular expression on text the model controls, on RE2 (linear time, see role-regex.ts). Over
 * MAX_MATCH_TEXT the expression is not run (linear is still a cost per call) and the condition counts as
 * matched: padding must not slip past a rule.
 */
function regexHolds(source: string, text: string): boolean {
  if (text.length > MAX_MATCH_TEXT) return true;
  return regexFinds(source, text);
}

function matchTool(c: ToolCondition, call: { tool: string; args: unknown }): boolean {
  if (!asList(c.tool).includes(call.tool)) return false;
  return matchValue(c, c.arg === undefined ? call.args : readPath(call.args, c.arg));
}

function matchResult(
  c: ResultCondition['result'],
  call: { tool: string } | undefined,
  result: { value: unknown } | undefined,
): boolean {
  if (call === undefined || result === undefined || !asList(c.tool).includes(call.tool)) return false;
  return matchValue(c, c.path === undefined ? result.value : readPath(result.value, c.path));
}

/** Every operator given holds for `value` (no operator: true). */
function matchValue(c: ValueOperators, value: unknown): boolean {
  if (c.exists !== undefined && isEmpty(value) === c.exists) return false;
  if (c.eq !== undefined && value !== c.eq) return false;
  if (c.ne !== undefined && value === c.ne) return false;
  const num =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : NaN;
  const numeric = [c.gt, c.gte, c.lt, c.lte].some((x) => x !== undefined);
  if (numeric && Number.isNaN(num)) return false;
  if (c.gt !== undefined && !(num > c.gt)) return false;
  if (c.gte !== undefined && !(num >= c.gte)) return false;
  if (c.lt !== undefined && !(num < c.lt)) return false;
  if (c.lte !== undefined && !(num <= c.lte)) return false;
  if (c.in !== undefined && !c.in.some((x) => x === value)) return false;
  if (c.contains !== undefined) {
    const hay = textOf(value).toLowerCase();
    if (!asList(c.contains).some((k) => hay.includes(k.toLowerCase()))) return false;
  }
  if (c.matches !== undefined && !regexHolds(c.matches, textOf(value))) return false;
  return true;
}

function matchInput(c: InputCondition['input'], input: unknown): boolean {
  const text = textOf(input);
  const lower = text.toLowerCase();
  const checks: boolean[] = [];
  if (c.contains !== undefined) checks.push(asList(c.contains).some((k) => lower.includes(k.toLowerCase())));
  if (c.matches !== undefined) checks.push(asList(c.matches).some((m) => regexHolds(m, text)));
  if (c.missing !== undefined) checks.push(asList(c.missing).some((p) => isEmpty(readPath(input, p))));
  // An input condition with no operator never matches: an empty rule must not escalate every run. (It is
  // refused at load, void-conditions.ts; a role version stored before that still runs as it did.)
  return checks.length > 0 && checks.every(Boolean);
}

/**
 * Pure: does the condition hold for this subject? A tool condition is false when there is no call, a
 * result condition when there is no result.
 */
export function matches(condition: Condition, subject: ConditionSubject): boolean {
  if ('all' in condition) return condition.all.every((c) => matches(c, subject));
  if ('any' in condition) return condition.any.some((c) => matches(c, subject));
  if ('not' in condition) return !matches(condition.not, subject);
  if ('input' in condition) return subject.input !== undefined && matchInput(condition.input, subject.input);
  if ('result' in condition) return matchResult(condition.result, subject.call, subject.result);
  return subject.call !== undefined && matchTool(condition, subject.call);
}
