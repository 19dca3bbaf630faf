// `nightshift validate <files...>`: each role file checked as a run would load it (its model too), and a
// scripted model's file given alongside (`validate roles/*.yaml` picks them up) checked as a script and
// said to be one, instead of being reported as a broken role.
import { type Issue, isNightshiftError, RoleInvalidError } from '../errors.js';
import { loadManagerChain } from '../managers/chain.js';
import type { ModelSettings } from '../models/resolve.js';
import { loadScript } from '../models/script/script-file.js';
import type { PeopleDirectory } from '../people/config.js';
import { unknownNames } from '../people/may-decide.js';
import { looksLikeModelScript } from '../roles/discover.js';
import type { Role } from '../roles/schema.js';
import { checkModel } from './model-check.js';

export interface ValidateResult {
  file: string;
  ok: boolean;
  /** `role`, or `model-script` for a scripted model's file (not a role; not counted as one). */
  kind: 'role' | 'model-script';
  version?: string;
  /** A model script's number of turns. */
  turns?: number;
  issues?: Omit<Issue, 'file'>[];
  warnings?: string[];
}

export async function validateFile(
  file: string,
  loadRole: (file: string) => Promise<Role>,
  models: ModelSettings | undefined,
  people?: PeopleDirectory,
): Promise<ValidateResult> {
  try {
    if (looksLikeModelScript(file)) {
      const script = loadScript(file);
      return { file, ok: true, kind: 'model-script', turns: script.turns.length };
    }
    const role = await loadRole(file);
    // The manager path too: each manager's file, and no cycle (RoleInvalidError at `manager`).
    await loadManagerChain(role, loadRole);
    // The model as a run would build it: a spec that cannot work fails validation; a key missing from
    // this environment, or an unknown price, is only a warning (the run's environment may differ).
    const model = checkModel(role.model, models);
    const warnings = model.missingKey ? [`warning: ${model.error!.message}`] : model.warnings;
    if (model.error && !model.missingKey)
      return { file, ok: false, kind: 'role', issues: [{ path: 'model', message: model.error.message }] };
    // A tier naming nobody configured would notify nobody: an error when people are configured, a
    // warning when none are (this project may not use notifications yet).
    const unknown = unknownNames(people, role.escalate?.tiers ?? []).map(([i, name]) => ({
      path: `escalate.tiers[${i}].to`,
      message: `${name} is neither a person nor a group in nightshift.config.yaml`,
    }));
    if (unknown.length > 0 && people) return { file, ok: false, kind: 'role', issues: unknown };
    const unconfigured = unknown.map((u) => `warning: ${u.path}: ${u.message} (no people: configured)`);
    return { file, ok: true, kind: 'role', version: role.version, warnings: [...warnings, ...unconfigured] };
  } catch (err) {
    const kind = looksLikeModelScript(file) ? 'model-script' : 'role';
    if (RoleInvalidError.isInstance(err)) return { file, ok: false, kind, issues: err.issues };
    if (isNightshiftError(err))
      return { file, ok: false, kind, issues: [{ path: '', message: err.message }] };
    throw err;
  }
}

/** The line `validate` prints for a file that passed. */
export function okLine(r: ValidateResult): string {
  return r.kind === 'model-script'
    ? `${r.file}: skipped: a model script (${r.turns} turn${r.turns === 1 ? '' : 's'}, valid), not a role`
    : `${r.file}: ok (version ${r.version})`;
}
