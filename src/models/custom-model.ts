// A model object given to createRuntime under `models.custom` (docs/models.md, "A model of your own").
// Two things the built-in adapters guarantee by construction are enforced here, because the object is
// the user's code:
// - its spec is the role's `custom:<name>`: runs record the spec, and every resume, approval and answer
//   resolves the recorded one again; an object calling itself `anthropic:…` would carry a run, after its
//   first pause, to that provider, and any other spec would fail the run at its first resume.
// - its answer has the shape the engine relies on: a cost that is NaN or negative would make every budget
//   comparison pass (or lower the run's cost), and `calls` that is not an array would throw outside the
//   turn's error handling. A wrong answer fails the run with MODEL_ERROR saying what was wrong.
import { z } from 'zod';
import { NightshiftError } from '../errors.js';
import type { Model, ModelRequest, ModelResponse } from './types.js';

const count = z.number().finite().nonnegative();

const CustomAnswer = z.object({
  text: z.string(),
  calls: z.array(z.object({ id: z.string().min(1), tool: z.string().min(1), args: z.unknown() })),
  usage: z.object({
    inputTokens: count,
    outputTokens: count,
    cachedInputTokens: count,
    costUsd: count,
  }),
  stopReason: z.enum(['end', 'tool_calls', 'max_tokens', 'refusal', 'other']),
  modelId: z.string(),
});

/** `model` as the runtime uses it under `custom:<name>`: its spec that, its answers checked. */
export function customModel(name: string, model: Model): Model {
  const spec = `custom:${name}`;
  return {
    spec,
    provider: model.provider,
    ...(model.priced === undefined ? {} : { priced: model.priced }),
    async turn(request: ModelRequest): Promise<ModelResponse> {
      // Called as its method: the object's own `this`.
      const answer: unknown = await model.turn(request);
      const checked = CustomAnswer.safeParse(answer);
      if (!checked.success) {
        const issue = checked.error.issues[0]!;
        const at = issue.path.length > 0 ? issue.path.join('.') : 'the answer';
        throw new NightshiftError(
          'MODEL_ERROR',
          `model ${spec} answered a turn with a malformed response: ${at}: ${issue.message}`,
          { retryable: false },
        );
      }
      // The object as answered (args untouched), now known to have the shape.
      return answer as ModelResponse;
    },
  };
}
