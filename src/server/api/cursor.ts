// Opaque page cursors: where a keyset-paged listing stopped, as base64url JSON tagged with the listing
// it belongs to. Opaque so clients pass it back unchanged (we may change what is inside); keyset rather
// than offsets so rows inserted while a client pages never shift or repeat a later page.
import { z } from 'zod';
import { ApiError } from './errors.js';

// Not signed: a cursor only says where a listing the token may read goes on, so one edited into another
// well-formed position pages from there and shows nothing the token could not list (docs/api.md).
const Position = z.strictObject({ at: z.number().int().nonnegative(), id: z.string().min(1).max(200) });
/** `null`: that part of the listing is exhausted. */
const InboxPart = Position.nullable();

const Cursors = {
  runs: Position,
  // A run's children, and whose: a page of one run's children does not go on with another run's.
  children: Position.extend({ parent: z.string().min(1).max(200) }),
  audit: z.strictObject({ id: z.number().int().nonnegative() }),
  inbox: z.strictObject({ approvals: InboxPart, escalations: InboxPart }),
} as const;

export type CursorKind = keyof typeof Cursors;
export type CursorOf<K extends CursorKind> = z.infer<(typeof Cursors)[K]>;

export function encodeCursor<K extends CursorKind>(kind: K, value: CursorOf<K>): string {
  return Buffer.from(JSON.stringify({ k: kind, v: value })).toString('base64url');
}

/** What a refusal calls each listing. */
const LISTING: Record<CursorKind, string> = {
  runs: 'runs',
  children: 'child runs',
  audit: 'audit',
  inbox: 'inbox',
};

/**
 * The position `text` names; 400 CURSOR_INVALID when it is not a cursor this listing handed out.
 * `mismatch`: why a well-formed cursor of this kind is still not this listing's (another run's children).
 */
export function decodeCursor<K extends CursorKind>(
  kind: K,
  text: string,
  mismatch: (value: CursorOf<K>) => string | undefined = () => undefined,
): CursorOf<K> {
  const refuse = (why: string) =>
    new ApiError(
      400,
      'CURSOR_INVALID',
      `cursor is not valid for ${LISTING[kind]}: ${why}; pass back a 'next' value unchanged`,
    );
  if (!/^[A-Za-z0-9_-]{1,2000}$/.test(text)) throw refuse('not base64url');
  let parsed: unknown;
  const bytes = Buffer.from(text, 'base64url');
  // Base64url decoding skips what it cannot use (a character past the last whole byte): a cursor with
  // anything added is not the one handed out.
  if (bytes.toString('base64url') !== text) throw refuse('made for another listing or altered');
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw refuse('not an encoded cursor');
  }
  const outer = z.strictObject({ k: z.literal(kind), v: Cursors[kind] }).safeParse(parsed);
  if (!outer.success) throw refuse('made for another listing or altered');
  const value = (outer.data as { v: CursorOf<K> }).v;
  const other = mismatch(value);
  if (other !== undefined) throw refuse(other);
  return value;
}
