// What kind of thing an id names, by its prefix, so a door given an id of another kind (`show apr_…`,
// `answer apr_…`, `POST /escalations/apr_…/answer`) says so and names what takes it, instead of only
// "no run apr_…". Ids with no known prefix are looked up as given. The CLI and the API word the same
// refusals with their own commands and routes.
import { ID_PREFIX, isIdOf, type IdKind as Kind } from './clock.js';
import { type ErrorCode, NightshiftError } from './errors.js';

export type { Kind as IdKind };

type Expected = 'run' | 'approval' | 'escalation';

const NOT_FOUND: Record<Expected, ErrorCode> = {
  run: 'RUN_NOT_FOUND',
  approval: 'APPROVAL_NOT_FOUND',
  escalation: 'ESCALATION_NOT_FOUND',
};

/** How one door names what takes each kind of id, and where its pending matters are listed. */
export interface IdDoor {
  /**
   * The id as this door's messages show it. The API's ids come from a request path, which may carry
   * control or bidi characters or run long: it quotes them (message-text.ts valueForMessage).
   */
  show(id: string): string;
  takenBy(kind: Kind, id: string): string;
  /** Where an unknown id's caller finds the ids there are (`nightshift inbox`, `GET /api/v1/inbox`). */
  list(expected: Expected): string;
}

function kindOf(id: string): Kind | undefined {
  return (Object.keys(ID_PREFIX) as Kind[]).find((k) => isIdOf(k, id));
}

const article = (k: Kind) => (k === 'approval' || k === 'escalation' ? 'an' : 'a');

/**
 * Refuses an id of another known kind than `expected` (the same code an unknown id gets), saying what it
 * is and what takes it. `also` are other kinds this door accepts.
 */
export function expectIdKind(id: string, expected: Expected, door: IdDoor, also: Kind[] = []): void {
  const kind = kindOf(id);
  if (kind === undefined || kind === expected || also.includes(kind)) return;
  const shown = door.show(id);
  throw new NightshiftError(
    NOT_FOUND[expected],
    `no ${expected} ${shown}: ${shown} is ${article(kind)} ${kind}'s id, not ${article(expected)} ${expected}'s; use ${door.takenBy(kind, id)}`,
  );
}

/** The refusal of an id nothing was found under: of another kind, said so; else where to look. */
export function idNotFound(id: string, expected: Expected, door: IdDoor): NightshiftError {
  expectIdKind(id, expected, door);
  return new NightshiftError(
    NOT_FOUND[expected],
    `no ${expected} ${door.show(id)} (see ${door.list(expected)})`,
  );
}
