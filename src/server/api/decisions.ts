// The inbox (pending approvals and escalations, with their delegation chains) and the decisions on
// them: approve, reject, answer. Decisions go through the runtime's approve/reject/answer, the code path
// the CLI uses, so the hash binding and the person check (people: in nightshift.config.yaml) are the
// same; the decider is the token's person, and the run is handed to serve's workers to continue.
import { z } from 'zod';
import { type Principal, requireDecideFor } from '../../auth/index.js';
import { chainsOf } from '../../delegation/chain.js';
import type { RunSummary } from '../../engine/summary.js';
import { NightshiftError } from '../../errors.js';
import { idNotFound } from '../../id-kinds.js';
import { valueForMessage } from '../../message-text.js';
import type { ListPosition } from '../../store/types.js';
import type { ApiContext } from './context.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { apiDoor } from './not-found.js';
import { type Operation, operation, type RecordAction, recordAction } from './operation.js';
import { AnswerBody, ApproveBody, RejectBody } from './schemas/bodies.js';
import { cursor, limit, Next } from './schemas/common.js';
import { Approval, ChainLink, Escalation, RunSummary as RunSummarySchema } from './schemas/records.js';

const Decided = z
  .object({ decision: z.enum(['approve', 'reject', 'answer']), by: z.string(), run: RunSummarySchema })
  .meta({ id: 'Decided', description: 'The decision taken and where the run then is.' });

/** The next position of one part of the inbox: null once a short page shows it is exhausted. */
function nextOf<T extends { id: string }>(
  rows: T[],
  at: (r: T) => number,
  size: number,
): ListPosition | null {
  const last = rows[rows.length - 1];
  return rows.length === size && last ? { at: at(last), id: last.id } : null;
}

export function decisionOperations(ctx: ApiContext): Operation[] {
  const { runtime } = ctx;

  /**
   * The approval, once the caller may decide its role (a person with `decide` whom people: allows):
   * refused before anything is written. The runtime checks the person again, as for the CLI.
   */
  async function decidableApproval(caller: Principal, approvalId: string) {
    const approval = await runtime.store.getApproval(approvalId);
    if (!approval) throw idNotFound(approvalId, 'approval', apiDoor);
    requireDecideFor(caller, approval.role, ctx.auth.people, `approval ${approvalId}`);
    return approval;
  }

  /** The escalation's role, once the caller may decide it: as decidableApproval. */
  async function decidableEscalation(caller: Principal, escalationId: string): Promise<void> {
    const escalation = await runtime.store.getEscalation(escalationId);
    if (!escalation) throw idNotFound(escalationId, 'escalation', apiDoor);
    requireDecideFor(caller, escalation.role, ctx.auth.people, `escalation ${escalationId}`);
  }

  /**
   * A decision (named as its operation is) on one approval or escalation: the decider is the token's
   * person, the run is handed to serve's workers, and the answer says who decided what.
   */
  function decision<K extends string, B extends z.ZodType>(
    decided: 'approve' | 'reject' | 'answer',
    o: Pick<RecordAction<K, B>, 'path' | 'param' | 'summary' | 'body' | 'authorize'> & {
      decide(input: Parameters<RecordAction<K, B>['handle']>[0]): Promise<RunSummary>;
    },
  ): Operation {
    const { decide, ...rest } = o;
    return recordAction({
      ...rest,
      id: decided,
      scope: 'decide',
      answer: Decided,
      async handle(input) {
        const run = await decide(input);
        ctx.wake();
        return { decision: decided, by: input.caller.name, run };
      },
    });
  }
  return [
    operation({
      id: 'getInbox',
      method: 'GET',
      path: '/inbox',
      summary: 'Pending approvals and escalations, oldest first, with their delegation chains',
      scope: 'runs:read',
      query: z.strictObject({ limit: limit(100, 500).describe('At most this many of each kind'), cursor }),
      responses: {
        200: z
          .object({
            approvals: z.array(Approval),
            escalations: z.array(Escalation),
            chains: z.record(z.string(), z.array(ChainLink)).describe('By run id, for specialists’ runs'),
            next: Next,
          })
          .meta({ id: 'Inbox' }),
      },
      async handle({ query }) {
        // Both kinds page together: each part resumes after its own position, and is skipped once done.
        const from = query.cursor
          ? decodeCursor('inbox', query.cursor)
          : { approvals: undefined, escalations: undefined };
        const page = (after: ListPosition | null | undefined) =>
          after === null
            ? null
            : { status: 'pending' as const, limit: query.limit, ...(after ? { after } : {}) };
        const [pa, pe] = [page(from.approvals), page(from.escalations)];
        const [approvals, escalations] = await Promise.all([
          pa ? runtime.store.listApprovals(pa) : [],
          pe ? runtime.store.listEscalations(pe) : [],
        ]);
        const chains = await chainsOf(
          runtime.store,
          [...approvals, ...escalations].map((x) => x.runId),
        );
        const positions = {
          approvals: nextOf(approvals, (a) => a.requestedAt, query.limit),
          escalations: nextOf(escalations, (e) => e.createdAt, query.limit),
        };
        const more = positions.approvals !== null || positions.escalations !== null;
        return {
          status: 200,
          body: { approvals, escalations, chains, next: more ? encodeCursor('inbox', positions) : null },
        };
      },
    }),
    decision('approve', {
      path: '/approvals/{approvalId}/approve',
      param: 'approvalId',
      summary: 'Approve a drafted change set: its calls run exactly as drafted, once',
      body: ApproveBody,
      authorize: async ({ caller, params }) => void (await decidableApproval(caller, params.approvalId)),
      async decide({ caller, params, body }) {
        const approval = await decidableApproval(caller, params.approvalId);
        // A decided approval is refused as decided (APPROVAL_NOT_PENDING, by runtime.approve), not as
        // "another change set": a second click from a stale page must learn that someone already decided.
        if (body.changeSetHash !== undefined && approval.status === 'pending') {
          if (approval.changeSetHash !== body.changeSetHash)
            throw new NightshiftError(
              'APPROVAL_MISMATCH',
              `approval ${valueForMessage(params.approvalId)}: the change set is not the one you saw (hash ${valueForMessage(body.changeSetHash)}); nothing was run`,
            );
        }
        return runtime.approve(params.approvalId, {
          by: caller.name,
          ...(body.note ? { note: body.note } : {}),
          drive: 'queue',
        });
      },
    }),
    decision('reject', {
      path: '/approvals/{approvalId}/reject',
      param: 'approvalId',
      summary: 'Reject a drafted change set: nothing in it runs; the agent is told why',
      body: RejectBody,
      authorize: async ({ caller, params }) => void (await decidableApproval(caller, params.approvalId)),
      async decide({ caller, params, body }) {
        await decidableApproval(caller, params.approvalId);
        return runtime.reject(params.approvalId, { by: caller.name, reason: body.reason, drive: 'queue' });
      },
    }),
    decision('answer', {
      path: '/escalations/{escalationId}/answer',
      param: 'escalationId',
      summary: 'Answer an escalation; the run continues with the answer in its context',
      body: AnswerBody,
      authorize: ({ caller, params }) => decidableEscalation(caller, params.escalationId),
      async decide({ caller, params, body }) {
        await decidableEscalation(caller, params.escalationId);
        return runtime.answer(params.escalationId, body.answer, {
          by: caller.name,
          allowCall: body.allowCall === true,
          withholdResult: body.withholdResult === true,
          drive: 'queue',
        });
      },
    }),
  ];
}
