// A role's specialists: the role files it lists under `specialists:`, loaded with it. A chain of roles that
// comes back to itself (A → B → A), or goes deeper than the root's `delegation.maxDepth`, is an error at
// load (so at `validate`), naming the chain; the engine never has to guard against either at run time.
import { resolve } from 'node:path';
import { hashJson } from '../canonical-json.js';
import { NightshiftError } from '../errors.js';
import type { Role } from './schema.js';

/** The roles being loaded above this one, outermost first. */
export interface SpecialistChain {
  files: string[];
  names: string[];
  /** The root orchestrator's bound. */
  maxDepth: number;
}

export const DELEGATE_PREFIX = 'delegate.';

/** The tool a specialist is called through. */
export function delegateToolName(specialist: string): string {
  return `${DELEGATE_PREFIX}${specialist}`;
}

export type LoadSpecialist = (file: string, chain: SpecialistChain) => Promise<Role>;

/**
 * Loads `paths` (relative to `dir`) as the specialists of role `name` (file `file`). Problems go to
 * `issue` under `specialists[i]`; the specialists that loaded are returned.
 */
export async function loadSpecialists(
  paths: readonly string[],
  of: { name: string; file: string; dir: string; maxDepth: number },
  chain: SpecialistChain | undefined,
  load: LoadSpecialist,
  issue: (path: (string | number)[], message: string) => void,
): Promise<Role[]> {
  const here: SpecialistChain = {
    files: [...(chain?.files ?? []), of.file],
    names: [...(chain?.names ?? []), of.name],
    maxDepth: chain?.maxDepth ?? of.maxDepth,
  };
  const out: Role[] = [];
  const seen = new Set<string>();
  for (const [i, path] of paths.entries()) {
    const abs = resolve(of.dir, path);
    const loop = here.files.indexOf(abs);
    if (loop >= 0) {
      const names = [...here.names.slice(loop), here.names[loop]];
      issue(['specialists', i], `cycle of roles: ${names.join(' → ')} (${path} is ${here.names[loop]})`);
      continue;
    }
    if (here.files.length > here.maxDepth) {
      issue(
        ['specialists', i],
        `delegation deeper than delegation.maxDepth (${here.maxDepth}): ${[...here.names, path].join(' → ')}`,
      );
      continue;
    }
    try {
      const role = await load(abs, here);
      if (seen.has(role.name)) {
        issue(['specialists', i], `specialist '${role.name}' is listed twice`);
        continue;
      }
      seen.add(role.name);
      out.push(role);
    } catch (err) {
      if (!NightshiftError.isInstance(err)) throw err;
      issue(['specialists', i], `specialist ${path}: ${err.message}`);
    }
  }
  return out;
}

/** A role's version with its specialists': editing a specialist makes its orchestrator a new version too. */
export function withSpecialistVersions(version: string, specialists: readonly Role[]): string {
  if (specialists.length === 0) return version;
  return hashJson({ version, specialists: specialists.map((s) => `${s.name}@${s.version}`) }).slice(0, 16);
}

/** The specialist named `name` of `role`, if it has one. */
export function specialistOf(role: Role, name: string): Role | undefined {
  return role.specialists?.find((s) => s.name === name);
}
