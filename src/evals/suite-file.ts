// The eval suite file (`x.evals.yaml`): its cases and what each expects. Strict keys, so a misspelt
// expectation is an error at its line rather than a check that silently never runs. Paths in it are
// relative to the suite file and come back absolute.
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { JSONPath } from 'jsonpath-plus';
import { z } from 'zod';
import { parseYamlText, readYamlText } from '../config/yaml-file.js';
import { RUN_STATUSES } from '../domain.js';
import { formatIssue, type Issue, isNightshiftError, NightshiftError, RoleInvalidError } from '../errors.js';
import { loadScript } from '../models/script/script-file.js';
import { compileJsonSchema } from '../roles/json-schema.js';
import { MODEL_PROVIDERS } from '../roles/load.js';
import { turnsOfRecording } from './replay.js';

const JsonSchema = z.record(z.string(), z.unknown());

/**
 * Whether a JSONPath's brackets, parentheses and quotes close. jsonpath-plus reads `$.a[` as `$.a` and
 * `$.a[?(@.b==` as a filter that fails on every element, so a cut-off path became a check that selects
 * something else, or nothing (which `exists: false` then passes): refused at its line instead.
 */
function balanced(path: string): boolean {
  const open: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === "'" || c === '"') quote = c;
    else if (c === '[' || c === '(') open.push(c);
    else if (c === ']' || c === ')') {
      if (open.pop() !== (c === ']' ? '[' : '(')) return false;
    }
  }
  return quote === undefined && open.length === 0;
}

/**
 * Why a filter (`[?(…)]`) or script (`[(…)]`) expression of the path cannot be evaluated, if one cannot:
 * jsonpath-plus parses one only when it meets an element to apply it to, so a syntax error there passed
 * `validate` and stopped `eval` half way. Each such expression is parsed by trying it once on an empty object.
 */
function expressionProblem(path: string): string | undefined {
  for (const segment of JSONPath.toPathArray(path)) {
    if (!segment.startsWith('?(') && !segment.startsWith('(')) continue;
    try {
      JSONPath({ path: `$[${segment}]`, json: [{}], wrap: true });
    } catch (err) {
      // An error evaluating a parsed expression (`@.x.y` of an object without x) comes prefixed with
      // `jsonPath:` and depends on the output; only an expression that does not parse is refused here.
      const message = (err as Error).message;
      if (message.startsWith('jsonPath:')) continue;
      return `a JSONPath expression that cannot be evaluated: [${segment}]: ${message}`;
    }
  }
  return undefined;
}

/** A JSONPath check on the output: the values the path selects must exist, equal, or match. */
const PathCheck = z.strictObject({
  path: z
    .string()
    .startsWith('$', 'a JSONPath starting with $, such as $.refundUsd')
    .refine(balanced, 'a JSONPath whose brackets, parentheses or quotes do not close')
    .superRefine((path, ctx) => {
      if (!balanced(path)) return;
      const problem = expressionProblem(path);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  equals: z.unknown().optional(),
  matches: z.string().min(1).optional(),
  /** Default true: the path selects at least one value. `false`: it selects nothing. */
  exists: z.boolean().optional(),
});

const OutputExpectation = z.strictObject({
  /** JSON Schema the output must match. */
  schema: JsonSchema.optional(),
  /** The output, exactly (deep equality). */
  equals: z.unknown().optional(),
  /** A subset: every key given must be in the output with this value (recursively; arrays exactly). */
  includes: z.unknown().optional(),
  paths: z.array(PathCheck).default([]),
  /** A regular expression the output must match (a string output as is, anything else as JSON). */
  matches: z.string().min(1).optional(),
});

/** A tool named alone, or with arguments that must be a subset of the call's. */
const ToolCallCheck = z.union([
  z.string().min(1),
  z.strictObject({ tool: z.string().min(1), args: z.record(z.string(), z.unknown()).optional() }),
]);

const ToolsExpectation = z.strictObject({
  /** The model asked for these calls (whatever the policy then decided). */
  called: z.array(ToolCallCheck).default([]),
  notCalled: z.array(ToolCallCheck).default([]),
  /** These calls were executed: allowed, or approved or let run by a decision (see `decisions`). */
  ran: z.array(ToolCallCheck).default([]),
  notRan: z.array(ToolCallCheck).default([]),
});

/** A list of tools, or `true` for "at least one call". */
const ToolSet = z.union([z.literal(true), z.array(z.string().min(1)).min(1)]);

const PolicyExpectation = z.strictObject({
  /** The run escalated with this category; `false`: it must not escalate at all. */
  escalate: z.union([z.string().min(1), z.literal(false)]).optional(),
  /** These calls were drafted for approval (never run). */
  draft: ToolSet.optional(),
  /** These calls were denied by the policy. */
  denied: ToolSet.optional(),
});

const Ceilings = z.strictObject({
  steps: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
  seconds: z.number().positive().optional(),
});

const Expectations = z.strictObject({
  status: z.enum(RUN_STATUSES as [string, ...string[]]).optional(),
  output: OutputExpectation.optional(),
  tools: ToolsExpectation.optional(),
  policy: PolicyExpectation.optional(),
  ceilings: Ceilings.optional(),
});

/** An LLM judge: a model scores the output against a rubric, within its own budget. */
const Grader = z.strictObject({
  model: z.string().min(1),
  rubric: z.string().min(1),
  /** The score (0..1) the judge must give for the case to pass. */
  passScore: z.number().min(0).max(1).default(0.7),
  /** The judge's own budget; a judgement that costs more fails the case. */
  maxCostUsd: z.number().nonnegative().default(0.05),
});

/**
 * A person's decision on the run's next pause, for cases that go past it: approve or reject the pending
 * approval (a draft), or answer the pending escalation (`allowCall`: let the call that escalated run).
 */
const CaseDecision = z
  .strictObject({
    approve: z.literal(true).optional(),
    note: z.string().min(1).optional(),
    /** Rejects the pending approval, with this reason. */
    reject: z.string().min(1).optional(),
    /** Answers the pending escalation with this text. */
    answer: z.string().min(1).optional(),
    allowCall: z.boolean().optional(),
  })
  .superRefine((d, ctx) => {
    const given = (['approve', 'reject', 'answer'] as const).filter((k) => d[k] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        message: `give exactly one of approve: true, reject: <reason>, answer: <text>${given.length > 1 ? ` (got ${given.join(', ')})` : ''}`,
      });
    if (d.note !== undefined && d.approve === undefined)
      ctx.addIssue({ code: 'custom', path: ['note'], message: 'note goes with approve' });
    if (d.allowCall !== undefined && d.answer === undefined)
      ctx.addIssue({ code: 'custom', path: ['allowCall'], message: 'allowCall goes with answer' });
  });
export type CaseDecision = z.infer<typeof CaseDecision>;

const CaseSpec = z.strictObject({
  name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/, 'letters, digits, ".", "_" or "-"'),
  description: z.string().optional(),
  input: z.unknown().default({}),
  /** A folder copied fresh for the case as the role's workspace (default: the role's own, copied). */
  workspace: z.string().min(1).optional(),
  /** Run the case with this model instead of the role's (`script:<file>`, or any model spec). */
  model: z.string().min(1).optional(),
  /** A recorded run (`nightshift show <run> --json`) whose model turns are replayed as the model. */
  replay: z.string().min(1).optional(),
  /** A safety case may never fail: one failure fails the suite, whatever the threshold. */
  safety: z.boolean().default(false),
  /** `holdout` cases are never shown to a proposer (the improve loop); default train. */
  split: z.enum(['train', 'holdout']).default('train'),
  /** Decisions on the run's pauses, in order; the case is judged where the run stands after the last. */
  decisions: z.array(CaseDecision).default([]),
  expect: Expectations.default({}),
  grader: Grader.optional(),
});

/** Expected turns and tokens of one case with a priced model, for the cost estimate before a run. */
const Estimate = z.strictObject({
  turns: z.number().int().positive().default(5),
  inputTokens: z.number().int().nonnegative().default(4000),
  outputTokens: z.number().int().nonnegative().default(500),
});

export const SuiteSpec = z.strictObject({
  name: z
    .string()
    .regex(/^[a-zA-Z0-9][a-zA-Z0-9._-]*$/)
    .optional(),
  description: z.string().optional(),
  /** The pass rate (0..1) the suite must reach; `--threshold` overrides it. Default 1: every case passes. */
  threshold: z.number().min(0).max(1).default(1),
  estimate: Estimate.default({ turns: 5, inputTokens: 4000, outputTokens: 500 }),
  cases: z.array(CaseSpec).min(1),
});
export type SuiteSpec = z.infer<typeof SuiteSpec>;
export type EvalCase = z.infer<typeof CaseSpec>;
export type CaseExpectations = z.infer<typeof Expectations>;
export type CaseGrader = z.infer<typeof Grader>;
export type ToolCallCheck = z.infer<typeof ToolCallCheck>;

export interface Suite extends SuiteSpec {
  name: string;
  /** Absolute path of the suite file. */
  file: string;
  /** sha256 of the file's text. */
  hash: string;
}

/**
 * Loads and validates a suite file. Throws CONFIG_INVALID listing every problem as `file:line key: message`,
 * with paths (workspace, script, replay) checked and made absolute.
 *
 * @example
 * const suite = loadSuite('roles/refund-desk.evals.yaml');
 */
export function loadSuite(file: string): Suite {
  const abs = resolve(file);
  const text = readYamlText(abs, file);
  const parsed = parseYamlText(text, file, SuiteSpec);
  if (!parsed.ok) throw suiteInvalid(file, parsed.issues);
  const { value: spec, source } = parsed;
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push(source.issue(path, message));
  const dir = dirname(abs);
  const names = new Set<string>();
  const cases = spec.cases.map((c, i) => {
    if (names.has(c.name)) add(['cases', i, 'name'], `case '${c.name}' is named twice`);
    names.add(c.name);
    const out: EvalCase = { ...c };
    if (c.workspace !== undefined) {
      out.workspace = resolve(dir, c.workspace);
      if (!existsSync(out.workspace) || !statSync(out.workspace).isDirectory())
        add(['cases', i, 'workspace'], `workspace fixture folder not found: ${c.workspace}`);
    }
    if (c.replay !== undefined && c.model !== undefined)
      add(['cases', i, 'replay'], 'give model or replay, not both');
    if (c.replay !== undefined) {
      out.replay = resolve(dir, c.replay);
      if (!existsSync(out.replay)) add(['cases', i, 'replay'], `recorded run not found: ${c.replay}`);
      // Read now, so a file that is not a recorded run is refused at the case's line, by `validate` too,
      // rather than after the estimate, naming neither the case nor the line.
      else {
        try {
          turnsOfRecording(out.replay, c.replay);
        } catch (err) {
          if (!isNightshiftError(err)) throw err;
          add(['cases', i, 'replay'], err.message);
        }
      }
    }
    if (c.model !== undefined) out.model = absoluteScript(c.model, dir, (m) => add(['cases', i, 'model'], m));
    if (c.grader)
      out.grader = {
        ...c.grader,
        model: absoluteScript(c.grader.model, dir, (m) => add(['cases', i, 'grader', 'model'], m)),
      };
    const schema = c.expect.output?.schema;
    if (schema) {
      try {
        compileJsonSchema(schema);
      } catch (err) {
        add(['cases', i, 'expect', 'output', 'schema'], `not a valid JSON Schema: ${(err as Error).message}`);
      }
    }
    const regexes: [(string | number)[], string | undefined][] = [
      [['expect', 'output', 'matches'], c.expect.output?.matches],
      ...(c.expect.output?.paths ?? []).map((p, j): [(string | number)[], string | undefined] => [
        ['expect', 'output', 'paths', j, 'matches'],
        p.matches,
      ]),
    ];
    for (const [path, re] of regexes) {
      if (re === undefined) continue;
      try {
        new RegExp(re);
      } catch (err) {
        add(['cases', i, ...path], `invalid regular expression: ${(err as Error).message}`);
      }
    }
    return out;
  });
  if (issues.length > 0) throw suiteInvalid(file, issues);
  return {
    ...spec,
    cases,
    name: spec.name ?? basename(abs).replace(/\.evals\.ya?ml$|\.ya?ml$/, ''),
    file: abs,
    hash: createHash('sha256').update(text).digest('hex'),
  };
}

/** `script:./x.yaml` → `script:/abs/x.yaml` (checked to exist); other specs as given. */
function absoluteScript(spec: string, dir: string, problem: (message: string) => void): string {
  if (!spec.startsWith('script:')) {
    // The same rule as a role's `model:` (roles/load.ts): a misspelt provider (`scipt:`, `foo:`) is said
    // here, at the case's line, not as MODEL_CONFIG when the case runs.
    const colon = spec.indexOf(':');
    const provider = colon > 0 ? spec.slice(0, colon) : '';
    if (!(MODEL_PROVIDERS as readonly string[]).includes(provider) || spec.slice(colon + 1).trim() === '')
      problem(
        `expected <provider>:<model>, with provider one of ${MODEL_PROVIDERS.join('|')}, got '${spec}'`,
      );
    return spec;
  }
  const file = resolve(dir, spec.slice('script:'.length));
  const given = spec.slice('script:'.length);
  if (!existsSync(file)) problem(`script file not found: ${given} (looked for ${file})`);
  else {
    // Checked as a script now (strict keys, at their lines), as `validate` checks a role's script.
    try {
      loadScript(file, given);
    } catch (err) {
      if (RoleInvalidError.isInstance(err))
        problem(`invalid model script ${given}: ${err.issues.map((i) => formatIssue(i)).join('; ')}`);
      else if (isNightshiftError(err)) problem(err.message);
      else throw err;
    }
  }
  return `script:${file}`;
}

function suiteInvalid(file: string, issues: Issue[]): NightshiftError {
  return new NightshiftError(
    'CONFIG_INVALID',
    `invalid eval suite ${file}:\n${issues.map((i) => `  ${formatIssue(i)}`).join('\n')}`,
    { details: { issues } },
  );
}
