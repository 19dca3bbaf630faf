// A proposal made into a candidate role: the changed keys laid over the base role's file (as YAML), then
// loaded exactly as a role file at the same path is, so its relative paths mean what the file's mean and
// every check a role file gets (schema, tool names, regexes, scripts) applies. Nothing is written.
import { stringify } from 'yaml';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import { CHANGEABLE } from './proposal.js';

/** Loads role file text as if it were the file at `file` (cli.loadRole with `text`). */
export type LoadRoleText = (file: string, text: string) => Promise<Role>;

export interface Candidate {
  role: Role;
  /** The candidate as its role file would say it (the next round's base). */
  doc: Record<string, unknown>;
}

const invalid = (message: string, cause?: unknown) =>
  new NightshiftError('PROPOSAL_INVALID', message, cause === undefined ? {} : { cause });

/**
 * The base with `changes` applied, validated as a role file at `file`. Throws PROPOSAL_INVALID saying
 * what is wrong (a key it may not change, a renamed role, the loader's own file:line problems).
 */
export async function buildCandidate(
  file: string,
  base: Record<string, unknown>,
  changes: Record<string, unknown>,
  load: LoadRoleText,
): Promise<Candidate> {
  const refused = Object.keys(changes).filter((k) => !(CHANGEABLE as readonly string[]).includes(k));
  if (refused.length > 0)
    throw invalid(
      `the proposal changes ${refused.join(', ')}, which a proposal may not change (only ${CHANGEABLE.join(', ')})`,
    );
  const doc = { ...base, ...changes };
  let role: Role;
  try {
    role = await load(file, stringify(doc));
  } catch (err) {
    if (!NightshiftError.isInstance(err)) throw err;
    throw invalid(`the proposed role is not valid: ${err.message}`, err);
  }
  if (role.name !== base.name) throw invalid(`the proposal renames the role to ${role.name}`);
  return { role, doc };
}
