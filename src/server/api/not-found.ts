// The API's wording of an unknown id (src/id-kinds.ts), as the CLI's: an id of another kind says what it
// is and which route takes it; any other says where the ids there are can be listed.
import type { IdDoor } from '../../id-kinds.js';

const API = '/api/v1';

export const apiDoor: IdDoor = {
  takenBy(kind, id) {
    switch (kind) {
      case 'run':
        return `GET ${API}/runs/${id} (or POST …/cancel, …/resume)`;
      case 'approval':
        return `POST ${API}/approvals/${id}/approve or …/reject`;
      case 'escalation':
        return `POST ${API}/escalations/${id}/answer`;
      case 'promotion':
        // No route decides a promotion: a person does, with the CLI (docs/versions.md).
        return `nightshift approve ${id} or nightshift reject ${id} --reason "..."`;
    }
  },
  list: (expected) => (expected === 'run' ? `GET ${API}/runs` : `GET ${API}/inbox`),
};
