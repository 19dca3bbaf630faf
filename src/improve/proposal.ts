// The proposer: a built-in role (observe, no tools) whose structured answer is a proposal, a change to the
// role and why. It runs under the same runtime, budgets and store as any role; what it is shown is built
// here, from the suite's training cases only: held-out cases never reach it (docs/evals.md).
import { z } from 'zod';
import type { CaseResult } from '../evals/run-suite.js';
import type { Suite } from '../evals/suite-file.js';
import { defineRole } from '../roles/define.js';
import type { Role } from '../roles/schema.js';

/**
 * The role keys a proposal may set: what the role says and does (instructions, workflow, toolset, rules).
 * Never its model, workspace, secrets, scope or triggers: those are the operator's, not the loop's.
 */
export const CHANGEABLE = [
  'description',
  'instructions',
  'tools',
  'escalation',
  'autonomy',
  'budget',
  'output',
] as const;

/** The proposer's answer, as zod checks it (the output schema below says the same to the model). */
export const Proposal = z.strictObject({
  rationale: z.string().min(1),
  changes: z
    .record(z.string(), z.unknown())
    .refine((c) => Object.keys(c).length > 0, 'changes must set at least one key'),
});
export type Proposal = z.infer<typeof Proposal>;

const OUTPUT_SCHEMA = {
  type: 'object',
  required: ['rationale', 'changes'],
  additionalProperties: false,
  properties: {
    rationale: { type: 'string', minLength: 1 },
    changes: {
      type: 'object',
      minProperties: 1,
      description: `role keys to replace, as in the role file: ${CHANGEABLE.join(', ')}`,
    },
  },
};

const INSTRUCTIONS = `You improve a nightshift role. You are shown the role (as its file says it), the
training cases of its eval suite with what each expects, and the case runs the role failed. Propose one
change that makes more cases pass without weakening any safety rule. Answer with JSON only:
{"rationale": "<why this change fixes the failures>", "changes": {<role keys to replace, with their new
values>}}. You may set only: ${CHANGEABLE.join(', ')}. Other cases you are not shown will also be run.`;

/** The proposer role for a model spec (`script:` paths resolve from `dir`), within `maxCostUsd` per run. */
export function proposerRole(spec: string, dir: string, maxCostUsd: number): Role {
  return defineRole(
    {
      name: 'nightshift-proposer',
      description: 'Proposes a change to a role from its eval failures (nightshift improve)',
      autonomy: 'observe',
      model: spec,
      instructions: INSTRUCTIONS,
      tools: [],
      output: OUTPUT_SCHEMA,
      budget: { maxSteps: 10, maxCostUsd, maxSeconds: 600, onExceed: 'fail' },
    },
    { dir },
  );
}

/**
 * What the proposer is shown: the role, the training cases (name, description, input, expectations) and
 * the training case runs that failed. Held-out cases are filtered out here, before anything is built from
 * them, so no part of one (name, input, failure) can reach the model.
 */
export function proposerInput(roleFile: Record<string, unknown>, suite: Suite, runs: readonly CaseResult[]) {
  const training = suite.cases.filter((c) => c.split === 'train');
  const names = new Set(training.map((c) => c.name));
  // The suite's path is left out: it names where the held-out cases are written.
  const { evals: _suitePath, ...role } = roleFile;
  return {
    role,
    trainingCases: training.map((c) => ({
      name: c.name,
      ...(c.description ? { description: c.description } : {}),
      safety: c.safety,
      input: c.input,
      expect: c.expect,
    })),
    failures: runs
      .filter((r) => !r.passed && names.has(r.name))
      .map((r) => ({ case: r.name, attempt: r.attempt, status: r.status, reason: r.reason ?? '' })),
  };
}
