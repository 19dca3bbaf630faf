// What every store refuses before writing: a batch that could never be right.
import { NightshiftError } from '../errors.js';
import type { CommitBatch } from './types.js';

export type BatchRecords = Omit<CommitBatch, 'expectSeq' | 'run' | 'at'>;

/**
 * A batch that could never be right (a bug in the caller, not a race): steps that do not continue
 * `expectSeq`, or records of another run. INTERNAL rather than STORE_CONFLICT, because the engine treats
 * a conflict as "another worker took the run" and stops quietly; a malformed batch must be loud.
 */
export function checkBatchShape(runId: string, expectSeq: number, records: BatchRecords): void {
  const { steps } = records;
  for (let i = 0; i < steps.length; i++) {
    const s = steps[i]!;
    if (s.seq !== expectSeq + i + 1 || s.runId !== runId) {
      throw new NightshiftError(
        'INTERNAL',
        `malformed batch for run ${runId}: step ${i} is seq ${s.seq} of run ${s.runId}, expected seq ${expectSeq + i + 1} of run ${runId}`,
        { details: { runId, step: i, seq: s.seq, stepRunId: s.runId, expectedSeq: expectSeq + i + 1 } },
      );
    }
  }
  const foreign =
    records.toolCalls?.find((c) => c.runId !== runId)?.key ??
    records.approvals?.find((a) => a.record.runId !== runId)?.record.id ??
    records.escalations?.find((e) => e.record.runId !== runId)?.record.id;
  if (foreign !== undefined) {
    throw new NightshiftError(
      'INTERNAL',
      `malformed batch for run ${runId}: record ${foreign} belongs to another run`,
      { details: { runId, foreignRecord: foreign } },
    );
  }
}
