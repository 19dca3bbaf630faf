// The runtime's vocabulary: the few closed sets of words every layer uses (the policy, the store, the tools,
// the role schema, the CLI). Kept here, importing nothing, so any module can depend on them without depending
// on the modules that happen to use them: the policy needs `Decision` without the store and `Effect` without
// the tool registry. The lists the role schema turns into zod enums are the source of their types.

/**
 * A role's autonomy: how much it may do on its own, lowest rung first.
 * - `observe`: read tools only.
 * - `draft`: non-read calls are recorded as a change set for a human to approve.
 * - `sandbox`: non-read calls run, but only inside a declared scope.
 * - `full`: calls run within the role's tools and scope.
 */
export const AUTONOMY_LEVELS = ['observe', 'draft', 'sandbox', 'full'] as const;
export type Autonomy = (typeof AUTONOMY_LEVELS)[number];

/**
 * What a tool does to the world, as it declares it (the policy never runs a tool to find out).
 * - `read`: looks, changes nothing.
 * - `write`: changes local state (files in the workspace, a database row).
 * - `exec`: runs a program.
 * - `external`: sends something outside: network requests, messages, money.
 */
export const EFFECTS = ['read', 'write', 'exec', 'external'] as const;
export type Effect = (typeof EFFECTS)[number];

/** The policy's verdict on one tool call (policy/decide.ts), as the ledger records it. */
export const DECISIONS = ['allow', 'draft', 'escalate', 'deny'] as const;
export type Decision = (typeof DECISIONS)[number];

/** Why a run was handed to a human: an escalation rule's category, or one the runtime raises itself. */
export const ESCALATION_CATEGORIES = [
  'legal',
  'security',
  'privacy',
  'compliance',
  'money',
  'high_impact',
  'ambiguous',
  'budget',
  'unknown_outcome',
  'other',
] as const;
export type EscalationCategory = (typeof ESCALATION_CATEGORIES)[number];

/** Where a run is in its life. The last three are terminal: nothing moves a run out of them. */
export type RunStatus =
  | 'queued'
  | 'running'
  | 'awaiting_approval'
  | 'escalated'
  | 'succeeded'
  | 'failed'
  | 'cancelled';
// A plain array, not a tuple: the CLI hands it to commander as choices.
export const RUN_STATUSES: readonly RunStatus[] = [
  'queued',
  'running',
  'awaiting_approval',
  'escalated',
  'succeeded',
  'failed',
  'cancelled',
];
export const TERMINAL_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled'];
