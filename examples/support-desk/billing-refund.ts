// billing's refund tool: the shared refunds.issue (same ledger, same idempotency), but judged by the policy
// instead of always drafted for a human. That is what lets billing's escalation rules, its lead and then a
// person decide who may let a refund through (refunds.issue's `approval: 'always'` would send every refund
// to a person, and a manager never approves drafts).
import { defineTool } from 'nightshift';
import { issueRefund } from '../tools/refunds.ts';

export const billingRefund = defineTool({ ...issueRefund, name: 'billing.refund', approval: 'policy' });
