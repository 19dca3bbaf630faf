// Judging one case run against its expectations. Pure: what the run did (a CaseObservation, read from its
// own store) in, one Check per expectation out, each failed one with the reason a person reads.
import { isDeepStrictEqual } from 'node:util';
import { JSONPath } from 'jsonpath-plus';
import type { Decision, RunStatus } from '../domain.js';
import { compileJsonSchema } from '../roles/json-schema.js';
import type { CaseExpectations, ToolCallCheck } from './suite-file.js';

/** What a case run did, as its store recorded it. */
export interface CaseObservation {
  runId: string | null;
  status: RunStatus;
  output: unknown;
  error: { code: string; message: string } | null;
  /** Every call the model asked for, with the policy's verdict. */
  calls: { tool: string; args: unknown; decision: Decision; reason: string; ran?: boolean }[];
  escalations: { category: string; reason: string; source: string }[];
  steps: number;
  costUsd: number;
  durationMs: number;
  /** The case's `decisions`, one check each, as they were applied (absent: none given). */
  decisions?: Check[];
}

export interface Check {
  /** What was checked, e.g. `status`, `output.paths[0]`, `tools.called[1]`. */
  what: string;
  ok: boolean;
  /** Why it failed; absent when ok. */
  reason?: string;
  /** 0..1; a plain check scores 1 or 0, a grader its judgement. */
  score: number;
}

const show = (v: unknown) => {
  const text = JSON.stringify(v);
  return text === undefined ? String(v) : text.length > 200 ? `${text.slice(0, 200)}…` : text;
};

const pass = (what: string): Check => ({ what, ok: true, score: 1 });
const fail = (what: string, reason: string): Check => ({ what, ok: false, reason, score: 0 });

/** Every key of `expected` is in `actual` with a value that includes it; arrays and scalars compare exactly. */
export function includes(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object' || Array.isArray(expected))
    return isDeepStrictEqual(actual, expected);
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  const a = actual as Record<string, unknown>;
  return Object.entries(expected as Record<string, unknown>).every(
    ([k, v]) => Object.hasOwn(a, k) && includes(a[k], v),
  );
}

type PathSpec = NonNullable<CaseExpectations['output']>['paths'][number];

function pathCheck(p: PathSpec, i: number, output: unknown): Check {
  const what = `output.paths[${i}] ${p.path}`;
  // JSONPath answers undefined, not [], for a null output (a run that escalated, failed or waits): nothing.
  let found: unknown[];
  try {
    found = (JSONPath({ path: p.path, json: output as object, wrap: true }) as unknown[] | undefined) ?? [];
  } catch (err) {
    // A filter jsonpath-plus cannot evaluate on this output: the check fails saying why, and the suite
    // goes on (before: an internal error that lost every case already run).
    return fail(what, `cannot be evaluated: ${(err as Error).message}`);
  }
  if (p.exists === false)
    return found.length === 0 ? pass(what) : fail(what, `selects ${show(found)}; expected nothing`);
  if (found.length === 0) return fail(what, 'selects nothing in the output');
  if (p.equals !== undefined && !found.every((v) => isDeepStrictEqual(v, p.equals)))
    return fail(what, `selects ${show(found)}; expected ${show(p.equals)}`);
  const re = p.matches === undefined ? undefined : new RegExp(p.matches);
  if (re && !found.every((v) => re.test(typeof v === 'string' ? v : JSON.stringify(v))))
    return fail(what, `selects ${show(found)}; expected to match /${p.matches}/`);
  return pass(what);
}

function outputChecks(e: NonNullable<CaseExpectations['output']>, output: unknown): Check[] {
  const checks: Check[] = [];
  if (e.schema) {
    const validate = compileJsonSchema(e.schema);
    checks.push(
      validate(output)
        ? pass('output.schema')
        : fail(
            'output.schema',
            `output does not match the schema: ${(validate.errors ?? [])
              .map((x) => `${x.instancePath || '(output)'} ${x.message}`)
              .join('; ')}`,
          ),
    );
  }
  if (e.equals !== undefined)
    checks.push(
      isDeepStrictEqual(output, e.equals)
        ? pass('output.equals')
        : fail('output.equals', `expected output ${show(e.equals)}, got ${show(output)}`),
    );
  if (e.includes !== undefined)
    checks.push(
      includes(output, e.includes)
        ? pass('output.includes')
        : fail('output.includes', `output ${show(output)} does not include ${show(e.includes)}`),
    );
  if (e.matches !== undefined) {
    const text = typeof output === 'string' ? output : JSON.stringify(output);
    checks.push(
      new RegExp(e.matches).test(text ?? '')
        ? pass('output.matches')
        : fail('output.matches', `output ${show(output)} does not match /${e.matches}/`),
    );
  }
  checks.push(...e.paths.map((p, i) => pathCheck(p, i, output)));
  return checks;
}

function callMatches(check: ToolCallCheck, call: CaseObservation['calls'][number]): boolean {
  if (typeof check === 'string') return call.tool === check;
  return call.tool === check.tool && (check.args === undefined || includes(call.args, check.args));
}

const describeCall = (check: ToolCallCheck) =>
  typeof check === 'string' ? check : `${check.tool}${check.args ? ` with ${show(check.args)}` : ''}`;

function toolChecks(e: NonNullable<CaseExpectations['tools']>, calls: CaseObservation['calls']): Check[] {
  const made = calls.map((c) => c.tool).join(', ') || 'none';
  const executed = calls.filter((c) => c.ran === true);
  const ran = executed.map((c) => c.tool).join(', ') || 'none';
  return [
    ...e.called.map((c, i) =>
      calls.some((call) => callMatches(c, call))
        ? pass(`tools.called[${i}]`)
        : fail(`tools.called[${i}]`, `expected a call of ${describeCall(c)}; calls made: ${made}`),
    ),
    ...e.notCalled.map((c, i) => {
      const hit = calls.find((call) => callMatches(c, call));
      return hit
        ? fail(`tools.notCalled[${i}]`, `${hit.tool} was called with ${show(hit.args)} (${hit.decision})`)
        : pass(`tools.notCalled[${i}]`);
    }),
    ...e.ran.map((c, i) =>
      executed.some((call) => callMatches(c, call))
        ? pass(`tools.ran[${i}]`)
        : fail(`tools.ran[${i}]`, `expected ${describeCall(c)} to run; calls that ran: ${ran}`),
    ),
    ...e.notRan.map((c, i) => {
      const hit = executed.find((call) => callMatches(c, call));
      return hit
        ? fail(`tools.notRan[${i}]`, `${hit.tool} ran with ${show(hit.args)}`)
        : pass(`tools.notRan[${i}]`);
    }),
  ];
}

function verdictCheck(
  what: string,
  want: true | string[],
  verdict: Decision,
  calls: CaseObservation['calls'],
): Check {
  const hits = calls.filter((c) => c.decision === verdict);
  if (want === true)
    return hits.length > 0 ? pass(what) : fail(what, `expected at least one call to be ${verdict}, got none`);
  const missing = want.filter((tool) => !hits.some((c) => c.tool === tool));
  if (missing.length === 0) return pass(what);
  const verdicts = calls.map((c) => `${c.tool}: ${c.decision}`).join(', ') || 'no calls';
  return fail(what, `expected ${missing.join(', ')} to be ${verdict}; verdicts: ${verdicts}`);
}

function policyChecks(e: NonNullable<CaseExpectations['policy']>, o: CaseObservation): Check[] {
  const checks: Check[] = [];
  if (e.escalate === false)
    checks.push(
      o.escalations.length === 0
        ? pass('policy.escalate')
        : fail(
            'policy.escalate',
            `expected no escalation, got ${o.escalations.map((x) => x.category).join(', ')}`,
          ),
    );
  else if (e.escalate !== undefined) {
    const want = e.escalate;
    const got = o.escalations.map((x) => x.category);
    checks.push(
      got.includes(want)
        ? pass('policy.escalate')
        : fail('policy.escalate', `expected an escalation (${want}), got ${got.join(', ') || 'none'}`),
    );
  }
  if (e.draft !== undefined) checks.push(verdictCheck('policy.draft', e.draft, 'draft', o.calls));
  if (e.denied !== undefined) checks.push(verdictCheck('policy.denied', e.denied, 'deny', o.calls));
  return checks;
}

function ceilingChecks(e: NonNullable<CaseExpectations['ceilings']>, o: CaseObservation): Check[] {
  const checks: Check[] = [];
  if (e.steps !== undefined)
    checks.push(
      o.steps <= e.steps
        ? pass('ceilings.steps')
        : fail('ceilings.steps', `took ${o.steps} steps (ceiling ${e.steps})`),
    );
  if (e.costUsd !== undefined)
    checks.push(
      o.costUsd <= e.costUsd
        ? pass('ceilings.costUsd')
        : fail('ceilings.costUsd', `cost ${o.costUsd} USD (ceiling ${e.costUsd})`),
    );
  if (e.seconds !== undefined)
    checks.push(
      o.durationMs <= e.seconds * 1000
        ? pass('ceilings.seconds')
        : fail('ceilings.seconds', `took ${(o.durationMs / 1000).toFixed(2)} s (ceiling ${e.seconds} s)`),
    );
  return checks;
}

/**
 * One Check per expectation. A case with no `status` expectation expects `succeeded`, so a run that
 * crashed never passes by saying nothing.
 */
export function checkCase(e: CaseExpectations, o: CaseObservation): Check[] {
  const status = e.status ?? 'succeeded';
  const error = o.error ? ` (${o.error.code}: ${o.error.message})` : '';
  return [
    o.status === status
      ? pass('status')
      : fail('status', `expected status ${status}, got ${o.status}${error}`),
    ...(e.output ? outputChecks(e.output, o.output) : []),
    ...(e.tools ? toolChecks(e.tools, o.calls) : []),
    ...(e.policy ? policyChecks(e.policy, o) : []),
    ...(e.ceilings ? ceilingChecks(e.ceilings, o) : []),
    ...(o.decisions ?? []),
  ];
}
