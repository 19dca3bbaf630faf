// The `escalate` tool every role has. Calling it pauses the run until a human answers; the answer
// becomes the call's result.
import { z } from 'zod';
import { ESCALATION_CATEGORIES, type EscalationCategory } from '../roles/conditions.js';
import type { ToolSpec } from '../tools/types.js';

export const EscalateArgs = z.object({
  category: z
    .string()
    .min(1)
    .describe(`one of ${ESCALATION_CATEGORIES.join(', ')}`),
  reason: z.string().min(1).describe('what happened and why a human is needed'),
  missing: z.string().optional().describe('what information or decision is missing'),
});
export type EscalateArgs = z.infer<typeof EscalateArgs>;

export const escalateToolSpec: ToolSpec = {
  name: 'escalate',
  description:
    'Ask a human (or a manager agent) to decide. Use it for legal, security, privacy, compliance or money matters, high-impact changes, and missing or ambiguous input. The run pauses until answered.',
  inputSchema: z.toJSONSchema(EscalateArgs) as Record<string, unknown>,
};

/** A category the model made up is kept in the reason and filed under `other`, not rejected. */
export function normaliseCategory(raw: string): EscalationCategory {
  const c = raw
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_');
  return (ESCALATION_CATEGORIES as readonly string[]).includes(c) ? (c as EscalationCategory) : 'other';
}
