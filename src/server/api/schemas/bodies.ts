// Request bodies of the API's operations that change something.
import { z } from 'zod';

export const ApproveBody = z
  .strictObject({
    note: z.string().max(10_000).optional(),
    changeSetHash: z
      .string()
      .max(200)
      .optional()
      .describe('The approval’s changeSetHash as you saw it: refused (409) if the change set is another'),
  })
  .meta({ id: 'ApproveBody' });

export const RejectBody = z
  .strictObject({ reason: z.string().min(1).max(10_000).describe('Why (the agent sees it)') })
  .meta({ id: 'RejectBody' });

export const AnswerBody = z
  .strictObject({
    answer: z.string().min(1).max(10_000),
    allowCall: z.boolean().optional().describe('Let the held call run once, exactly as asked'),
    withholdResult: z
      .boolean()
      .optional()
      .describe('A held result: the agent gets the answer, never the result'),
  })
  .meta({ id: 'AnswerBody' });

export const CancelBody = z
  .strictObject({ reason: z.string().max(10_000).optional() })
  .meta({ id: 'CancelBody' });

export const EmptyBody = z.strictObject({}).meta({ id: 'EmptyBody' });

/** An event's payload: any JSON value the listening roles' input schemas accept. */
export const EventPayload = z.unknown().meta({ id: 'EventPayload' });
