// The steps the signed doors share (a decision answered over the webhook channel, a Slack interaction):
// a signature that does not check is refused, and a good one is spent, so the same request sent again
// inside its window is refused as a replay. Both refusals are 401 and logged with the door's fields.
import type { Logger } from 'pino';
import type { Store } from '../store/interfaces.js';
import { HttpError } from './http-body.js';
import type { SignatureCheck } from './webhook-signature.js';

export async function acceptSignedOnce(o: {
  check: SignatureCheck;
  store: Pick<Store, 'rememberSignature'>;
  /** Put before the signature as remembered, so two schemes' signatures never collide ('' for ours). */
  prefix: string;
  nowMs: number;
  windowSeconds: number;
  log: Logger;
  /** What the door receives, in the log lines: `decision`, `slack interaction`. */
  what: string;
  fields: Record<string, unknown>;
}): Promise<void> {
  if (!o.check.ok) {
    o.log.warn({ ...o.fields, reason: o.check.reason }, `${o.what} refused`);
    throw new HttpError(401, o.check.reason);
  }
  // Remembered past the window, after which its timestamp is refused as stale anyway.
  const forgetBefore = o.nowMs - 2 * o.windowSeconds * 1000;
  if (!(await o.store.rememberSignature(`${o.prefix}${o.check.signature}`, o.nowMs, forgetBefore))) {
    o.log.warn(o.fields, `${o.what} replay refused`);
    throw new HttpError(401, 'this signature was already used (replay)');
  }
}
