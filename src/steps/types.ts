// The step log, typed: each step kind with its data, as a discriminated union on `kind` (the way
// openai-agents-js types its run items). The store keeps steps as plain JSON (store/types.ts StepRecord);
// the engine works with these, written through BatchBuilder.step and validated when read (read.ts).
import type { z } from 'zod';
import type { StepKind, StepRecord } from '../store/types.js';
import type { STEP_DATA } from './schema.js';

export type { StepKind };

/** Each step kind's data. */
export type StepDataMap = { [K in StepKind]: z.infer<(typeof STEP_DATA)[K]> };

/** The data of steps of kind `K` (of any kind, by default). */
export type StepData<K extends StepKind = StepKind> = StepDataMap[K];

/** One step of a run's log, its data typed by its kind: `if (step.kind === 'model_turn') step.data.text`. */
export type RunStep<K extends StepKind = StepKind> = {
  [P in K]: Omit<StepRecord, 'kind' | 'data'> & { kind: P; data: StepDataMap[P] };
}[K];
