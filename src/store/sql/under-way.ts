// Whether a run of a role was queued or running at a past moment, for the cron catch-up under
// `overlap: skip` (triggers/under-way.ts): the live rule (a run queued or running blocks a tick) applied
// as of the tick, from the rows that keep the run's times. One statement, answering one row or none.
import type { Dialect, Query } from './dialect.js';

/**
 * A run was queued or running at `at` when it was created before it, had not finished by it, and was not
 * paused for a person then. Its pauses are the spans its approvals and escalations were pending (each
 * is written, and decided, in the commit that pauses the run, or lets it go on), and the spans it waited
 * for a child run paused for a person: from the join that recorded `child_waiting` (the last step of that
 * commit but for the `tool_finished` of children that had ended, which come in the calls' order) until
 * the next step (a driver took it up again: `run_resumed`; a decision of its own; its end) or the end of
 * one of its children, which puts it back on the queue without a step (delegation/wake-parent.ts).
 *
 * Which runs are looked at: every run of the role not finished now (the live set, read through the
 * status index), and the `recent` newest of the role's runs created before `at` (the role's creation-time
 * index). A run finished since the tick that is older than those is not seen: it would take `recent`
 * runs of the role started while it was under way, and the tick then runs late rather than being lost.
 */
export function roleRunUnderWayAt(d: Dialect, role: string, at: number, recent: number): Query {
  const p = d.param;
  return {
    text: `SELECT 1 AS under_way FROM (
  SELECT id, finished_at FROM runs
   WHERE status ${d.anyOf(1)} AND role = ${p(2)} AND created_at < ${p(3)}
  UNION
  SELECT id, finished_at FROM (
    SELECT id, finished_at FROM runs WHERE role = ${p(4)} AND created_at < ${p(5)}
     ORDER BY created_at DESC LIMIT ${p(6)}
  ) newest
) c
WHERE (c.finished_at IS NULL OR c.finished_at > ${p(7)})
  AND NOT EXISTS (SELECT 1 FROM approvals a WHERE a.run_id = c.id
    AND a.requested_at <= ${p(8)} AND (a.decided_at IS NULL OR a.decided_at > ${p(9)}))
  AND NOT EXISTS (SELECT 1 FROM escalations e WHERE e.run_id = c.id
    AND e.created_at <= ${p(10)} AND (e.answered_at IS NULL OR e.answered_at > ${p(11)}))
  AND NOT EXISTS (SELECT 1 FROM steps w WHERE w.run_id = c.id AND w.kind = 'child_waiting'
    AND w.seq = (SELECT MAX(s.seq) FROM steps s WHERE s.run_id = c.id AND s.at <= ${p(12)}
      AND s.kind <> 'tool_finished')
    AND NOT EXISTS (SELECT 1 FROM runs k WHERE k.parent_run_id = c.id
      AND k.finished_at > w.at AND k.finished_at <= ${p(13)}))
LIMIT 1`,
    params: [
      d.list(['queued', 'running', 'awaiting_approval', 'escalated']),
      role,
      at,
      role,
      at,
      recent,
      at,
      at,
      at,
      at,
      at,
      at,
      at,
    ],
  };
}
