// Finding role files for `nightshift serve <paths...>`: files as given, and in folders every YAML file
// (recursively) that looks like a role (has `name` and `autonomy`); model scripts and the rest are skipped.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { readCappedText } from '../config/capped-read.js';
import { NightshiftError } from '../errors.js';

const SKIP = new Set(['node_modules', '.git', '.nightshift', 'dist']);

/**
 * The file's YAML as data, for a guess at what it is; `too-large` over the cap (MAX_CONFIG_FILE_BYTES),
 * which is not read: the loader then refuses it, saying its size.
 */
function peek(file: string): Record<string, unknown> | null | 'too-large' {
  const read = readCappedText(file);
  if (!read.ok) return 'too-large';
  // logLevel 'error': a guess at what the file is prints nothing; the loader reports its problems.
  return parse(read.text, { logLevel: 'error' }) as Record<string, unknown> | null;
}

function looksLikeRole(file: string): boolean {
  try {
    const doc = peek(file);
    // Too large: taken as a role, so the loader reports its size.
    if (doc === 'too-large') return true;
    return doc !== null && typeof doc === 'object' && 'name' in doc && 'autonomy' in doc;
  } catch {
    return true; // let the loader report the YAML error
  }
}

/**
 * A scripted model's file (`turns:` and no role keys), which often sits next to the role that names it
 * (`model: script:./x.script.yaml`): not a role, so `validate` checks it as a script instead.
 */
export function looksLikeModelScript(file: string): boolean {
  try {
    const doc = peek(file);
    return (
      doc !== null && typeof doc === 'object' && !Array.isArray(doc) && 'turns' in doc && !('name' in doc)
    );
  } catch {
    return false;
  }
}

/**
 * An eval suite (`cases:` and no role keys), which sits next to its role as `<role>.evals.yaml` (the
 * examples do): not a role, so `validate` checks it as a suite instead.
 */
export function looksLikeEvalSuite(file: string): boolean {
  try {
    const doc = peek(file);
    return (
      doc !== null &&
      typeof doc === 'object' &&
      !Array.isArray(doc) &&
      'cases' in doc &&
      !('autonomy' in doc) &&
      !('instructions' in doc)
    );
  } catch {
    return false;
  }
}

export function discoverRoleFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      if (entry.name.startsWith('.') || SKIP.has(entry.name)) continue;
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (
        entry.isFile() &&
        /\.ya?ml$/.test(entry.name) &&
        entry.name !== 'nightshift.config.yaml' &&
        looksLikeRole(p)
      )
        out.push(p);
    }
  };
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch {
      throw new NightshiftError('USAGE', `${p}: no such file or folder`);
    }
    if (st.isDirectory()) walk(p);
    else out.push(p);
  }
  if (out.length === 0) throw new NightshiftError('USAGE', `no role files found in ${paths.join(', ')}`);
  return out;
}

/**
 * The roles to serve, each once: a file found twice (`serve roles/ roles/a.yaml`) counts once, and two
 * files naming the same role are refused. Events, runs, versions and promotions go by the role's name,
 * so one of the two would be served and the other dropped without a word.
 */
export function uniqueRoles<R extends { name: string; source: { file?: string | undefined } }>(
  roles: readonly R[],
): R[] {
  const byName = new Map<string, R>();
  for (const role of roles) {
    const seen = byName.get(role.name);
    if (!seen) byName.set(role.name, role);
    else if (seen.source.file !== role.source.file)
      throw new NightshiftError(
        'USAGE',
        `${seen.source.file} and ${role.source.file} are both role '${role.name}': roles served together need different names`,
      );
  }
  return [...byName.values()];
}
