// `nightshift validate <files...>`: each role file checked as a run would load it (its model too), and a
// scripted model's file given alongside (`validate roles/*.yaml` picks them up) checked as a script and
// said to be one, instead of being reported as a broken role.
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, relative, resolve } from 'node:path';
import { MAX_CONFIG_FILE_BYTES } from '../config/capped-read.js';
import { CONFIG_FILE, loadProjectConfig } from '../config/project.js';
import { YamlSource } from '../config/yaml-file.js';
import { type Issue, isNightshiftError, RoleInvalidError } from '../errors.js';
import { loadSuite } from '../evals/suite-file.js';
import { loadManagerChain } from '../managers/chain.js';
import type { ModelSettings } from '../models/resolve.js';
import { loadScript } from '../models/script/script-file.js';
import type { PeopleDirectory } from '../people/config.js';
import { unknownNames } from '../people/may-decide.js';
import { looksLikeEvalSuite, looksLikeModelScript } from '../roles/discover.js';
import type { Role } from '../roles/schema.js';
import { checkModel } from './model-check.js';

export interface ValidateResult {
  file: string;
  ok: boolean;
  /**
   * `role`; `model-script` for a scripted model's file, `eval-suite` for an eval suite, `config` for
   * nightshift.config.yaml (each checked as what it is; none counted as a role).
   */
  kind: 'role' | 'model-script' | 'eval-suite' | 'config';
  version?: string;
  /** A model script's number of turns. */
  turns?: number;
  /** An eval suite's number of cases. */
  cases?: number;
  issues?: Omit<Issue, 'file'>[];
  warnings?: string[];
}

export async function validateFile(
  file: string,
  loadRole: (file: string) => Promise<Role>,
  models: ModelSettings | undefined,
  people?: PeopleDirectory,
): Promise<ValidateResult> {
  // `validate roles/*.yaml` also names the files that sit next to the roles: each is checked as what it
  // is, not reported as a broken role (the documented `validate examples/roles/*.yaml` exited 2 on the
  // examples' own eval suites).
  const other = looksLikeModelScript(file)
    ? 'model-script'
    : looksLikeEvalSuite(file)
      ? 'eval-suite'
      : basename(file) === CONFIG_FILE
        ? 'config'
        : undefined;
  try {
    if (other === 'model-script') {
      const script = loadScript(file);
      return { file, ok: true, kind: 'model-script', turns: script.turns.length };
    }
    if (other === 'eval-suite')
      return { file, ok: true, kind: 'eval-suite', cases: loadSuite(file).cases.length };
    if (other === 'config') {
      loadProjectConfig(dirname(resolve(file)));
      return { file, ok: true, kind: 'config' };
    }
    return await validateRole(file, loadRole, models, people);
  } catch (err) {
    const kind = other ?? 'role';
    if (RoleInvalidError.isInstance(err)) return { file, ok: false, kind, issues: err.issues };
    // A suite's or the config's problems, each at its line (CONFIG_INVALID carries them).
    const listed = isNightshiftError(err)
      ? (err.details as { issues?: Issue[] } | undefined)?.issues
      : undefined;
    if (Array.isArray(listed) && listed.length > 0)
      // Under the path as given (the config's own loader names it `nightshift.config.yaml`); a role's
      // problem in another file it names (its model script saved as Latin-1) keeps that file, as the
      // script's other problems do (it was reported at the role file's line).
      return {
        file,
        ok: false,
        kind,
        issues: listed.map(({ file: at, ...issue }) =>
          kind === 'role' && at ? { file: at, ...issue } : issue,
        ),
      };
    // A file that cannot be read: its message names the file, which the printed line names already.
    if (isNightshiftError(err)) {
      const message = err.message.startsWith(`${file}: `) ? err.message.slice(file.length + 2) : err.message;
      return { file, ok: false, kind, issues: [{ path: '', message }] };
    }
    throw err;
  }
}

/** A role file's problems from every stage at once: its own load, its manager path, its model, its tiers. */
async function validateRole(
  file: string,
  loadRole: (file: string) => Promise<Role>,
  models: ModelSettings | undefined,
  people: PeopleDirectory | undefined,
): Promise<ValidateResult> {
  const issues: Omit<Issue, 'file'>[] = [];
  const warnings: string[] = [];
  let role: Role | undefined;
  try {
    role = await loadRole(file);
  } catch (err) {
    // Reported with the rest: a role that does not load still has its tiers checked below.
    if (!RoleInvalidError.isInstance(err)) throw err;
    // Kept with their file: a scripted model's problems are at its own lines.
    issues.push(...err.issues);
  }
  if (role) {
    // The manager path too: each manager's file, and no cycle (RoleInvalidError at `manager`).
    try {
      // Its files named as the role's own problems name it: relative to here when it was given so.
      await loadManagerChain(role, loadRole, (f) =>
        isAbsolute(file) || !isAbsolute(f) ? f : relative(process.cwd(), f),
      );
    } catch (err) {
      if (!RoleInvalidError.isInstance(err)) throw err;
      issues.push(...err.issues);
    }
    // The model as a run would build it: a spec that cannot work fails validation; a key missing from
    // this environment, or an unknown price, is only a warning (the run's environment may differ).
    const model = checkModel(role.model, models);
    if (model.missingKey) warnings.push(`warning: ${model.error!.message}`);
    else warnings.push(...model.warnings);
    if (model.error && !model.missingKey) {
      // At the `model:` line, as the schema's own problems with it are (`foo:bar` had its line, a bad
      // `custom:` or `openai-compatible:` spec did not).
      const line = /\.ya?ml$/i.test(file) ? yamlSource(file)?.lineOf(['model']) : undefined;
      issues.push({ ...(line ? { line } : {}), path: 'model', message: model.error.message });
    }
  }
  // A tier naming nobody configured would notify nobody: an error when people are configured, a
  // warning when none are (this project may not use notifications yet). From the loaded role, or, when
  // it did not load, from the file's own tiers as far as they are lists of names.
  const source = /\.ya?ml$/i.test(file) ? yamlSource(file) : undefined;
  const tiers: { to: readonly unknown[] }[] = role ? (role.escalate?.tiers ?? []) : rawTiers(source);
  // Each name at its own index in its `to` list: a name that is not a string (already reported by the
  // schema) keeps its place, so the line of every name after it is still its own.
  const unknown = tiers.flatMap((tier, i) =>
    tier.to.flatMap((name, j) => {
      if (typeof name !== 'string' || unknownNames(people, [{ to: [name] }]).length === 0) return [];
      // At the name's own line, as every other problem of a role file is reported.
      const line = source?.lineOf(['escalate', 'tiers', i, 'to', j]);
      return [
        {
          ...(line ? { line } : {}),
          path: `escalate.tiers[${i}].to`,
          message: `${name} is neither a person nor a group in nightshift.config.yaml`,
        },
      ];
    }),
  );
  if (people) issues.push(...unknown);
  else warnings.push(...unknown.map((u) => `warning: ${u.path}: ${u.message} (no people: configured)`));
  if (issues.length > 0)
    return { file, ok: false, kind: 'role', issues, ...(warnings.length ? { warnings } : {}) };
  return { file, ok: true, kind: 'role', version: role!.version, warnings };
}

function yamlSource(file: string): YamlSource | undefined {
  try {
    // Only a regular file of a role file's size: a fifo would block the read for ever (a role that did
    // not load, as a fifo does not, reaches here), and /dev/zero would never end.
    const stat = statSync(file);
    if (!stat.isFile() || stat.size > MAX_CONFIG_FILE_BYTES) return undefined;
    return new YamlSource(readFileSync(file, 'utf8'), file);
  } catch {
    return undefined;
  }
}

/** `escalate.tiers` of a file that did not load: each tier's `to` list as written, others empty. */
function rawTiers(source: YamlSource | undefined): { to: unknown[] }[] {
  if (!source || source.syntaxIssues().length > 0) return [];
  const data = source.data() as { escalate?: { tiers?: unknown } } | null;
  const tiers = data && typeof data === 'object' ? data.escalate?.tiers : undefined;
  if (!Array.isArray(tiers)) return [];
  // Kept at their index, tiers and names alike (a tier that is not a list checks nothing; a name that
  // is not a string is skipped where it stands), so each line is the name's own.
  return tiers.map((t: unknown) => {
    const to = (t as { to?: unknown } | null)?.to;
    return { to: Array.isArray(to) ? to : [] };
  });
}

/** The line `validate` prints for a file that passed. */
export function okLine(r: ValidateResult): string {
  const plural = (n: number | undefined, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  switch (r.kind) {
    case 'model-script':
      return `${r.file}: skipped: a model script (${plural(r.turns, 'turn')}, valid), not a role`;
    case 'eval-suite':
      return `${r.file}: skipped: an eval suite (${plural(r.cases, 'case')}, valid), not a role`;
    case 'config':
      return `${r.file}: skipped: the project config (valid), not a role`;
    default:
      return `${r.file}: ok (version ${r.version})`;
  }
}
