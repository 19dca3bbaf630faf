// What kind of thing an id names, by its prefix, so a command given an id of another kind (`show apr_…`,
// `answer apr_…`, `approve esc_…`) says so and names the command that takes it, instead of only
// "no run apr_…". Ids with no known prefix are looked up as given.
import { ID_PREFIX, isIdOf, type IdKind as Kind } from '../clock.js';
import { type ErrorCode, NightshiftError } from '../errors.js';

const NOT_FOUND: Record<'run' | 'approval' | 'escalation', ErrorCode> = {
  run: 'RUN_NOT_FOUND',
  approval: 'APPROVAL_NOT_FOUND',
  escalation: 'ESCALATION_NOT_FOUND',
};

function kindOf(id: string): Kind | undefined {
  return (Object.keys(ID_PREFIX) as Kind[]).find((k) => isIdOf(k, id));
}

/** What takes an id of each kind. */
function takenBy(kind: Kind, id: string, cmd: string): string {
  switch (kind) {
    case 'run':
      return `${cmd} show ${id} (or resume, cancel)`;
    case 'approval':
    case 'promotion':
      return `${cmd} approve ${id} or ${cmd} reject ${id} --reason "..."`;
    case 'escalation':
      return `${cmd} answer ${id} "..."`;
  }
}

/**
 * Refuses an id of another known kind than `expected` (the same code an unknown id gets, exit 2), saying
 * what it is and which command takes it. `also` are other kinds this command accepts.
 */
export function expectIdKind(
  id: string,
  expected: 'run' | 'approval' | 'escalation',
  cmd: string,
  also: Kind[] = [],
): void {
  const kind = kindOf(id);
  if (kind === undefined || kind === expected || also.includes(kind)) return;
  const article = (k: Kind) => (k === 'approval' || k === 'escalation' ? 'an' : 'a');
  throw new NightshiftError(
    NOT_FOUND[expected],
    `no ${expected} ${id}: ${id} is ${article(kind)} ${kind}'s id, not ${article(expected)} ${expected}'s; use ${takenBy(kind, id, cmd)}`,
  );
}
