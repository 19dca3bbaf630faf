// The identity of a change set: the hash an approval binds to, over the argument hashes of exactly the
// drafted calls it files, in order. Computed when the approval is requested and again when it is decided;
// any difference fails closed.
import { hashJson } from '../canonical-json.js';
import type { ToolCallRecord } from '../store/types.js';

export function changeSetHash(calls: Pick<ToolCallRecord, 'argsHash'>[]): string {
  return hashJson(calls.map((c) => c.argsHash));
}
