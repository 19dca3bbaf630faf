// A run's trace and span ids are derived from the run id (and the step's seq), not drawn at random: a run
// resumed in another process (after a crash, a takeover, a human's answer) continues the same trace, and
// a span is rebuilt with the same id from the same committed step. Nothing has to survive a crash.
import { createHash } from 'node:crypto';

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The run's trace id: the first 16 bytes of sha256(run id), as 32 hex digits. */
export function traceIdFor(runId: string): string {
  return digest(runId).slice(0, 32);
}

/** The run's root span (the run itself). */
export function rootSpanIdFor(runId: string): string {
  return digest(`${runId}\u0000run`).slice(0, 16);
}

/** The span of the step `seq` of the run: 8 bytes of sha256(run id, seq). */
export function stepSpanIdFor(runId: string, seq: number): string {
  return digest(`${runId}\u0000step\u0000${seq}`).slice(0, 16);
}
