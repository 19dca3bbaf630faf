// `people:` and `groups:` in nightshift.config.yaml: who may decide which roles' approvals and escalations,
// and where each person is reached. Names here are what `--as NAME` and every channel's answer carry.
import { z } from 'zod';

export const PERSON_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,119}$/;
/** A role name, or a glob over role names (`*` any run of characters): `billing-*`, `*`. */
const ROLE_PATTERN = /^[a-z0-9*][a-z0-9._*-]{0,62}$/;

export const PersonSpec = z.strictObject({
  name: z
    .string()
    .regex(PERSON_NAME, 'letters, digits, ".", "_", "@" or "-", starting with a letter or digit'),
  email: z.email().optional(),
  /** Slack user id (U…), for Slack messages and to map a Slack click back to this person. */
  slack: z.string().min(1).optional(),
  /** A URL that receives this person's decisions as signed JSON POSTs (the webhook channel). */
  // http(s) only: the channel POSTs to it, and any other scheme could only fail at every send.
  webhook: z.url({ protocol: /^https?$/, error: 'an http or https URL' }).optional(),
  /** Roles (names or globs) whose approvals and escalations this person may decide. */
  decides: z.array(z.string().regex(ROLE_PATTERN, 'a role name or a glob such as billing-*')).default([]),
});
export type PersonSpec = z.infer<typeof PersonSpec>;

export const PeopleSpec = z.array(PersonSpec);
/** A group name → the people in it, so a tier can name a team. */
export const GroupsSpec = z.record(z.string().regex(PERSON_NAME), z.array(z.string().min(1)).min(1));

/** The configured people: `undefined` when the project names nobody (then anyone named may decide). */
export interface PeopleDirectory {
  people: PersonSpec[];
  groups: Record<string, string[]>;
}
