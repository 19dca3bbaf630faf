// A person's decision (approve, reject, answer) is one commit fenced by the run's `seq`. When two decide
// at once, the loser's commit meets a run that moved and the store says STORE_CONFLICT, which tells a
// person nothing about their decision; and when the run moved for another reason (another approval of
// the same run decided at the same moment) their decision was never refused at all. So the decision is
// made again from a fresh read: it then either commits, or finds its approval or escalation decided and
// says so (APPROVAL_NOT_PENDING / ESCALATION_NOT_PENDING, as docs/escalation.md promises the loser).
import { NightshiftError } from '../errors.js';

/** More than two writers racing one paused run is rare; a bound keeps a livelock from spinning. */
const DECISION_ATTEMPTS = 5;

/** Runs `decide` (which must read what it decides on afresh each time) until it is not refused by a moved run. */
export async function decideAgainIfRaced<T>(decide: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await decide();
    } catch (err) {
      const raced = NightshiftError.isInstance(err) && err.code === 'STORE_CONFLICT';
      if (!raced || attempt >= DECISION_ATTEMPTS) throw err;
    }
  }
}
