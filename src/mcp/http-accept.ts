// The `Accept` header of a POST to /mcp. /mcp always answers JSON (stateless, no event stream), so a
// client that takes JSON is served whatever else it names: curl's default `*/*`, no header at all, or
// `application/json` alone. The SDK's transport wants both `application/json` and `text/event-stream`
// named and answers anything else 406; so the header it reads is set to that once ours has passed.
import type { IncomingMessage } from 'node:http';

/** What /mcp answers with; a client's `Accept` must admit it. */
const ANSWERED = 'application/json';

/** How specifically a media range names `application/json`: 2 exactly, 1 `application/*`, 0 `*\/*`. */
const SPECIFICITY: Record<string, number> = { [ANSWERED]: 2, 'application/*': 1, '*/*': 0 };

/**
 * True when `header` admits a JSON answer: absent (HTTP: any type), or whose most specific range naming
 * `application/json` (itself, `application/*`, then `*\/*`) has a quality above 0. The most specific
 * range decides (RFC 9110 §12.5.1), so `application/json;q=0, *\/*` refuses JSON.
 */
export function acceptsJson(header: string | undefined): boolean {
  if (header === undefined || header.trim() === '') return true;
  let best: { specificity: number; q: number } | undefined;
  for (const range of header.split(',')) {
    const [type = '', ...params] = range.split(';').map((p) => p.trim().toLowerCase());
    const specificity = SPECIFICITY[type];
    if (specificity === undefined) continue;
    const qParam = params.find((p) => /^q\s*=/.test(p));
    const q = qParam === undefined ? 1 : Number(qParam.slice(qParam.indexOf('=') + 1).trim());
    const quality = Number.isFinite(q) ? q : 0;
    // Among ranges of equal specificity the best quality counts (a header naming one twice).
    if (best === undefined || specificity > best.specificity) best = { specificity, q: quality };
    else if (specificity === best.specificity) best.q = Math.max(best.q, quality);
  }
  return best !== undefined && best.q > 0;
}

/** The 406 message for a client whose `Accept` leaves JSON out. */
export function notAcceptable(header: string): string {
  return `Not Acceptable: /mcp answers ${ANSWERED}, which Accept: ${JSON.stringify(header).slice(0, 200)} leaves out (send Accept: application/json, text/event-stream, as MCP clients do, or no Accept)`;
}

/**
 * Makes the request say what the SDK's transport requires, for a request whose own `Accept` admits
 * JSON. The transport reads the raw header list (through @hono/node-server), so both views are set.
 */
export function acceptForSdk(req: IncomingMessage): void {
  const raw = req.rawHeaders;
  for (let i = raw.length - 2; i >= 0; i -= 2) if (raw[i]!.toLowerCase() === 'accept') raw.splice(i, 2);
  raw.push('Accept', `${ANSWERED}, text/event-stream`);
  req.headers.accept = `${ANSWERED}, text/event-stream`;
}
