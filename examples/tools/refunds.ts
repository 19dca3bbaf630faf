// A custom tool module: `refunds.issue` moves money, so it is `external` and always needs approval.
// The "payment provider" here is a ledger file in the workspace, deduplicated by idempotency key the way
// a real provider's API would be, which is what makes `idempotent: true` honest.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { defineTool } from 'nightshift';
import { z } from 'zod';

export const issueRefund = defineTool({
  name: 'refunds.issue',
  description: 'Refund (part of) an order to the customer',
  input: z.object({
    orderId: z.string().regex(/^[A-Z]-\d+$/, 'an order id such as A-1001'),
    amount: z.number().positive().max(10_000),
    reason: z.string().min(3),
  }),
  effect: 'external',
  approval: 'always',
  idempotent: true,
  run: ({ orderId, amount, reason }, ctx) => {
    if (!ctx.workspace) throw new Error('refunds.issue needs a workspace for its ledger');
    const dir = join(ctx.workspace, 'ledger');
    const file = join(dir, 'refunds.jsonl');
    mkdirSync(dir, { recursive: true });
    const lines = existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    const previous = lines.map((l) => JSON.parse(l)).find((r) => r.idempotencyKey === ctx.idempotencyKey);
    if (previous) return { refundId: previous.refundId, status: 'already issued' };
    const refundId = `rf_${lines.length + 1}`;
    appendFileSync(file, `${JSON.stringify({ refundId, orderId, amount, reason, idempotencyKey: ctx.idempotencyKey })}\n`);
    return { refundId, status: 'issued', amount };
  },
});
