// Reading a run's log back: every stored step is checked against its kind's schema before the engine
// rebuilds the run from it, so a row this version cannot read stops the run with an error that names
// the row, instead of failing somewhere deep in the loop (or, worse, being misread).
import { NightshiftError } from '../errors.js';
import type { StepRecord } from '../store/types.js';
import { STEP_DATA } from './schema.js';
import type { RunStep, StepKind } from './types.js';

/** A stored step this version cannot read: an unknown kind, or data that does not match its kind. */
export class StepDataInvalidError extends NightshiftError {
  constructor(
    readonly runId: string,
    readonly seq: number,
    readonly kind: string,
    readonly issues: string[],
  ) {
    super(
      'RUN_NOT_RESUMABLE',
      `run ${runId}: step ${seq} (${kind}) cannot be read by this version of nightshift: ${issues.join('; ')}. ` +
        'The run was written by a version whose step log this one does not understand; nothing was changed.',
      { details: { runId, seq, kind, issues } },
    );
    this.name = 'StepDataInvalidError';
  }
}

function isKind(kind: string): kind is StepKind {
  return Object.hasOwn(STEP_DATA, kind);
}

/** The step, typed, if its data matches its kind; StepDataInvalidError otherwise. The object is kept as is. */
export function readStep(step: StepRecord): RunStep {
  const kind: string = step.kind;
  if (!isKind(kind)) throw new StepDataInvalidError(step.runId, step.seq, kind, ['unknown step kind']);
  const parsed = STEP_DATA[kind].safeParse(step.data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`,
    );
    throw new StepDataInvalidError(step.runId, step.seq, kind, issues);
  }
  return step as RunStep;
}

/** A run's stored steps, typed; throws StepDataInvalidError at the first one that does not read. */
export function readSteps(steps: readonly StepRecord[]): RunStep[] {
  return steps.map(readStep);
}
