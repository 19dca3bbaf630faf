// The LLM judge: a model reads the case's input, the run's output and a rubric, and answers a score. It
// has its own budget, separate from the role's: a judgement that costs more than `maxCostUsd` fails the
// case rather than passing on an unbudgeted opinion.
import { z } from 'zod';
import type { ModelSettings } from '../models/resolve.js';
import { resolveModel } from '../models/resolve.js';
import type { Check } from './expectations.js';
import type { CaseGrader } from './suite-file.js';

const Judgement = z.object({ score: z.number().min(0).max(1), reason: z.string() });

const SYSTEM =
  'You grade the output of a background agent against a rubric. Answer only with JSON: ' +
  '{"score": <number from 0 to 1>, "reason": "<one sentence>"}.';

export interface GraderContext {
  env?: NodeJS.ProcessEnv | undefined;
  models?: ModelSettings | undefined;
}

/** The judge's check (score = its judgement) and what the judgement cost. */
export async function grade(
  grader: CaseGrader,
  input: unknown,
  output: unknown,
  ctx: GraderContext,
): Promise<{ check: Check; costUsd: number }> {
  const what = 'grader';
  let response: Awaited<ReturnType<ReturnType<typeof resolveModel>['turn']>>;
  try {
    const model = resolveModel(grader.model, { env: ctx.env, config: ctx.models });
    response = await model.turn({
      system: SYSTEM,
      messages: [
        {
          role: 'user',
          content: `Rubric:\n${grader.rubric}\n\nInput:\n${JSON.stringify(input)}\n\nOutput:\n${JSON.stringify(output)}`,
        },
      ],
      tools: [],
      outputSchema: z.toJSONSchema(Judgement) as Record<string, unknown>,
      maxOutputTokens: 512,
    });
  } catch (err) {
    return {
      check: { what, ok: false, score: 0, reason: `the judge failed: ${(err as Error).message}` },
      costUsd: 0,
    };
  }
  const costUsd = response.usage.costUsd;
  if (costUsd > grader.maxCostUsd)
    return {
      check: {
        what,
        ok: false,
        score: 0,
        reason: `the judge cost ${costUsd} USD, over its budget of ${grader.maxCostUsd}`,
      },
      costUsd,
    };
  let judgement: z.infer<typeof Judgement>;
  try {
    judgement = Judgement.parse(JSON.parse(response.text));
  } catch {
    return {
      check: {
        what,
        ok: false,
        score: 0,
        reason: `the judge's answer is not {score, reason}: ${response.text.slice(0, 200)}`,
      },
      costUsd,
    };
  }
  const ok = judgement.score >= grader.passScore;
  return {
    check: {
      what,
      ok,
      score: judgement.score,
      ...(ok ? {} : { reason: `judged ${judgement.score} (pass ${grader.passScore}): ${judgement.reason}` }),
    },
    costUsd,
  };
}
