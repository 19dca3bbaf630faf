// Promotions: which version of a role is active (what `serve` and `run` start new runs with), how it got
// there, and the promotions that wait for a person because they widen the role's authority.

export type PromotionKind = 'promote' | 'rollback';
/** `pending`: waits for a person (it widens authority); `done`: took effect; `refused`: never will. */
export type PromotionStatus = 'pending' | 'done' | 'refused';

export interface PromotionRecord {
  id: string;
  role: string;
  /** The version this promotion makes active. */
  version: string;
  kind: PromotionKind;
  status: PromotionStatus;
  /**
   * The promotion that was in effect when this one was asked for (null: none, the role file ran). A
   * pending promotion takes effect only while that is still so: it was judged against that version.
   */
  baseId: string | null;
  /** The version active when it was asked for; with none active, the one the role file ran (promote.ts). */
  fromVersion: string | null;
  /**
   * The promotion a rollback of this one returns to (null: nothing to roll back to). A promotion's is its
   * base; a rollback's is the one its target would have returned to, so rollbacks walk back in order.
   */
  backTo: string | null;
  requestedBy: string;
  requestedAt: number;
  /** What the caller offered as evidence (eval results, a ticket, a note): kept as given. */
  evidence: string[];
  /** Why it widens authority (empty: it does not, and so it needed no person). */
  widening: string[];
  decidedBy: string | null;
  decidedAt: number | null;
  note: string | null;
  /** The order promotions took effect in, per role (null until done): the highest is the active one. */
  seq: number | null;
}

/** What `applyPromotion` found: written, or why not (nothing written). */
export type PromotionOutcome = 'applied' | 'stale' | 'not_pending';
