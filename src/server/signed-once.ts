// The steps the signed doors share (a decision answered over the webhook channel, a Slack interaction):
// a signature that does not check is refused, and a good one is spent, so the same request sent again
// inside its window is refused as a replay. Both refusals are 401 and logged with the door's fields.
// A signature is spent before the decision is saved (an atomic insert: two identical requests at once
// cannot both decide), so a decision that then fails on our side (a 5xx: the store unavailable) gives it
// back (`release`), or the sender's byte-identical retry would be refused as a replay and the person's
// decision lost; unless the decision was recorded after all (the failure came after it was saved), when
// the retry has nothing left to do and the signature stays spent.
import type { Logger } from 'pino';
import type { Store } from '../store/interfaces.js';
import { HttpError } from './http-body.js';
import type { SignatureCheck } from './webhook-signature.js';

/** A spent signature, for the door to give back when its decision failed on our side. */
export interface SpentSignature {
  /**
   * Forgets the signature unless `recorded()` says the decision was saved all the same (when it cannot
   * say, forgets it). Best effort: when the store cannot forget, it stays spent (logged: a retry will be
   * refused).
   */
  release(recorded: () => Promise<boolean>): Promise<void>;
}

export async function acceptSignedOnce(o: {
  check: SignatureCheck;
  store: Pick<Store, 'rememberSignature' | 'forgetSignature'>;
  /** Put before the signature as remembered, so two schemes' signatures never collide ('' for ours). */
  prefix: string;
  nowMs: number;
  windowSeconds: number;
  log: Logger;
  /** What the door receives, in the log lines: `decision`, `slack interaction`. */
  what: string;
  fields: Record<string, unknown>;
}): Promise<SpentSignature> {
  if (!o.check.ok) {
    o.log.warn({ ...o.fields, reason: o.check.reason }, `${o.what} refused`);
    throw new HttpError(401, o.check.reason);
  }
  // Remembered past the window, after which its timestamp is refused as stale anyway.
  const forgetBefore = o.nowMs - 2 * o.windowSeconds * 1000;
  const signature = `${o.prefix}${o.check.signature}`;
  if (!(await o.store.rememberSignature(signature, o.nowMs, forgetBefore))) {
    o.log.warn(o.fields, `${o.what} replay refused`);
    throw new HttpError(401, 'this signature was already used (replay)');
  }
  return {
    async release(recorded) {
      // When the store cannot say (the read fails as the decision did), the signature is given back all the
      // same: the spent signature is not what stops a second decision (the matter's pending check is), so
      // a retry of a decision saved after all meets the decided matter (409); kept spent, a retry of one
      // never saved was refused as a replay and the person's decision lost (decision 062).
      const saved = await recorded().catch((err: unknown) => {
        o.log.warn(
          { ...o.fields, err: (err as Error).message },
          `${o.what} failed and whether it was saved could not be read: its signature is given back`,
        );
        return false;
      });
      try {
        if (saved) {
          o.log.warn(
            o.fields,
            `${o.what} was recorded but its answer failed: its signature stays spent, a retry of it will be refused as a replay`,
          );
          return;
        }
        await o.store.forgetSignature(signature);
      } catch (err) {
        o.log.error(
          { ...o.fields, err: (err as Error).message },
          `${o.what} failed and its signature could not be given back: a retry of it will be refused as a replay`,
        );
      }
    },
  };
}

/** Whether an approval or escalation was decided (is no longer pending, or is gone). */
export function decisionRecorded(
  store: Pick<Store, 'getApproval' | 'getEscalation'>,
  kind: string,
  id: string,
): () => Promise<boolean> {
  return async () => {
    const matter = kind === 'approval' ? await store.getApproval(id) : await store.getEscalation(id);
    return matter?.status !== 'pending';
  };
}
