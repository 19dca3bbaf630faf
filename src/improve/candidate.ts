// A proposal made into a candidate role: the changed keys laid over the base role's file (as YAML), then
// loaded exactly as a role file at the same path is, so its relative paths mean what the file's mean and
// every check a role file gets (schema, tool names, regexes, scripts) applies. Nothing is written.
import { stringify } from 'yaml';
import { roleRecordSpec } from '../engine/start.js';
import { NightshiftError } from '../errors.js';
import type { Role } from '../roles/schema.js';
import { builtinTools } from '../tools/builtin/index.js';
import { availableTools } from '../tools/registry.js';
import type { AnyTool } from '../tools/types.js';
import { authorityWidening } from '../versions/widening.js';
import { CHANGEABLE } from './proposal.js';

/** Loads a role file, or `text` as if it were the file at `file` (loadRoleFile with `text`). */
export type LoadRoleText = (file: string, text?: string) => Promise<Role>;

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

/**
 * Tools whose every effect stays in the case's workspace copy (the eval isolation covers them): the
 * built-in fs tools themselves, not a name. A tool module may name its tool fs.publish, or override
 * fs.write (later definitions win), and its code reaches wherever it likes.
 */
const CONTAINED: ReadonlySet<AnyTool> = new Set(builtinTools.filter((t) => t.name.startsWith('fs.')));

/**
 * The tools a run of `role` can cause to be called that reach past the workspace copy: its own and,
 * through delegation, every specialist's below it. A child run acts at min(its rung, the parent's), so
 * raising the parent's rung raises theirs too. A name no built-in or module provides (an MCP tool) counts.
 */
async function uncontainedTools(role: Role, seen = new Set<Role>()): Promise<Set<string>> {
  const out = new Set<string>();
  if (seen.has(role)) return out;
  seen.add(role);
  const available = await availableTools(role);
  for (const name of role.tools) {
    if (name === 'escalate' || name.startsWith('delegate.')) continue;
    const tool = available.get(name);
    if (!tool || !CONTAINED.has(tool)) out.add(name);
  }
  for (const s of role.specialists ?? []) for (const t of await uncontainedTools(s, seen)) out.add(t);
  return out;
}

/**
 * Why evaluating `candidate` would be unsafe, or undefined. An eval runs the candidate with its own
 * authority; for a candidate that widens it and can call a tool reaching past the case's workspace copy
 * (a tool module's or MCP server's code, shell, http, notifications), that would exercise authority no
 * person granted before the person is asked. Such a proposal is refused unevaluated (fail closed).
 */
export async function evaluationHazard(active: Role, candidate: Role): Promise<string | undefined> {
  // "tool modules may have changed" is said of every role with modules; the change here is the proposal's.
  const widening = authorityWidening(roleRecordSpec(active), roleRecordSpec(candidate)).filter(
    (w) => !w.startsWith('toolModules:'),
  );
  if (widening.length === 0) return undefined;
  const outside = [...(await uncontainedTools(candidate))];
  if (outside.length === 0) return undefined;
  return `the proposal widens authority (${widening.join('; ')}) for a role that can call ${outside.join(', ')} (itself or through its specialists), which reach past an eval's workspace copy: it is not evaluated, since that would use authority no person granted; make this change by hand and promote it`;
}
