// The CLI's wording of an id of the wrong kind (src/id-kinds.ts): the command that takes it.
import { expectIdKind as expectKind, type IdDoor, type IdKind } from '../id-kinds.js';

function cliDoor(cmd: string): IdDoor {
  return {
    // As typed on the command line by the operator, and printed through cli/terminal-text.ts.
    show: (id) => id,
    takenBy(kind, id) {
      switch (kind) {
        case 'run':
          return `${cmd} show ${id} (or resume, cancel)`;
        case 'approval':
        case 'promotion':
          return `${cmd} approve ${id} or ${cmd} reject ${id} --reason "..."`;
        case 'escalation':
          return `${cmd} answer ${id} "..."`;
      }
    },
    list: (expected) => (expected === 'run' ? `${cmd} runs` : `${cmd} inbox`),
  };
}

/**
 * Refuses an id of another known kind than `expected` (the same code an unknown id gets, exit 2), saying
 * what it is and which command takes it. `also` are other kinds this command accepts.
 */
export function expectIdKind(
  id: string,
  expected: 'run' | 'approval' | 'escalation',
  cmd: string,
  also: IdKind[] = [],
): void {
  expectKind(id, expected, cliDoor(cmd), also);
}
