// How deep a JSON body may nest. JSON.parse takes any depth, but what handles the value next is recursive
// (canonical JSON for idempotency and argument hashes, JSON.stringify into the store, zod, ajv): a 20 KB
// body of 10,000 nested arrays overflowed the stack there and was answered 500 INTERNAL, a client's
// mistake looking like the server's, and the depth that overflows differs by code path (a body accepted
// at one door could fail later in a worker). Real payloads (webhooks, events, decisions) nest a few
// dozen levels at most; anything deeper is refused at the door as a bad request.

/** Most levels of arrays and objects a body may nest (the value itself is level 1). */
export const MAX_JSON_DEPTH = 100;

/**
 * Whether `text` nests arrays and objects more than `max` levels deep.
 * One pass over the characters with no recursion, so it cannot overflow whatever the input. Exact for
 * valid JSON; run before JSON.parse (which is slow on deep input), so text that is not JSON may be called
 * deep, and is refused either way.
 */
export function nestsDeeperThan(text: string, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) depth--;
  }
  return false;
}
