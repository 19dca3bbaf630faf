// The API's wording of an unknown id (src/id-kinds.ts), as the CLI's: an id of another kind says what it
// is and which route takes it; any other says where the ids there are can be listed. The id came in the
// request's path, so it is quoted (a U+202E or a newline in it is shown escaped, a long one cut), and in a
// route it is written %-encoded, as a client would send it.
import type { IdDoor } from '../../id-kinds.js';
import { valueForMessage } from '../../message-text.js';
import { pathForMessage } from '../http-body.js';

const API = '/api/v1';

/** The id as a path segment a client would send: %-encoded, and cut like any path in a message. */
const segment = (id: string) => pathForMessage(encodeURIComponent(id));

/** An id a shell takes as one word, as it is (what the engine's ids are: `prm_` and base-32 digits). */
const SHELL_PLAIN = /^[A-Za-z0-9_.-]{1,200}$/;

export const apiDoor: IdDoor = {
  show: valueForMessage,
  takenBy(kind, id) {
    switch (kind) {
      case 'run':
        return `GET ${API}/runs/${segment(id)} (or POST …/cancel, …/resume)`;
      case 'approval':
        return `POST ${API}/approvals/${segment(id)}/approve or …/reject`;
      case 'escalation':
        return `POST ${API}/escalations/${segment(id)}/answer`;
      case 'promotion': {
        // No route decides a promotion: a person does, with the CLI (docs/versions.md). A command is pasted
        // into a shell, where even a quoted id could run something (`"$(…)"`): only a plain one is written.
        const arg = SHELL_PLAIN.test(id) ? id : '<the id above>';
        return `nightshift approve ${arg} or nightshift reject ${arg} --reason "..."`;
      }
    }
  },
  list: (expected) => (expected === 'run' ? `GET ${API}/runs` : `GET ${API}/inbox`),
};
