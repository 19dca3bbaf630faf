// Finding role files for `nightshift serve <paths...>`: files as given, and in folders every YAML file
// (recursively) that looks like a role (has `name` and `autonomy`); model scripts and the rest are skipped.
import { readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { readCappedText } from '../config/capped-read.js';
import { NightshiftError } from '../errors.js';
import { isInside, realOr } from './real-paths.js';

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

/** A role file a folder search found and left out, and why. */
export interface SkippedRoleFile {
  file: string;
  /** The role file whose workspace holds it (or one of the files whose workspaces hold each other). */
  workspaceOf: string;
}

/**
 * Role files for `serve` and `mcp`: each path given as a file, and every role-like YAML file in each folder
 * given, except those lying in a found role's workspace. A role's fs tools and sandboxed commands write
 * its workspace, so a role file there may be the role's own work (a prompt injection is enough): served,
 * it would run with whatever authority it grants itself, at the next start. Such files are skipped, never
 * loaded (a planted file cannot make the start fail either); a file named on the command line is served
 * as given.
 */
export function discoverRoleFiles(paths: readonly string[]): { files: string[]; skipped: SkippedRoleFile[] } {
  const named: string[] = [];
  const found: string[] = [];
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
        found.push(p);
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
    else named.push(p);
  }
  const { kept, skipped } = outsideWorkspaces(found, named);
  const files = [...named, ...kept];
  if (files.length === 0) {
    const why = skipped.length
      ? `: ${skipped.length} found, each in a role's workspace (${skipped[0]!.file}, in the workspace of ${skipped[0]!.workspaceOf})`
      : '';
    throw new NightshiftError('USAGE', `no role files found in ${paths.join(', ')}${why}`);
  }
  return { files, skipped };
}

/** What serve and mcp print for a skipped file (stderr): the operator must be able to see it. */
export function skippedRoleLine(file: string, workspaceOf: string): string {
  return `not serving ${file}: it lies in the workspace of ${workspaceOf}, which that role's tools can write; a role file there is not trusted (move it out, or name the file itself to serve it)`;
}

/** The real path of the workspace a role file names, if it names one (a guess: the loader checks it). */
function workspaceOf(file: string): string | undefined {
  try {
    const doc = peek(file);
    if (doc === 'too-large' || doc === null || typeof doc !== 'object') return undefined;
    const written = (doc as { workspace?: unknown }).workspace;
    return typeof written === 'string' && written !== ''
      ? realOr(resolve(dirname(file), written))
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The found files that lie in no trusted role's workspace. Trusted first: the files named on the command
 * line and the found files that lie in no found file's workspace; what lies in a trusted file's workspace is
 * skipped, and the rest is judged again without it. Files left lying only in each other's workspaces (one
 * planted in a role's workspace, naming as its own a folder that holds that role's file but not itself)
 * cannot be told apart, so all of them are skipped: none is served rather than the wrong one.
 */
function outsideWorkspaces(
  found: readonly string[],
  named: readonly string[],
): { kept: string[]; skipped: SkippedRoleFile[] } {
  const workspaces = new Map<string, string | undefined>();
  for (const file of [...named, ...found]) {
    const workspace = workspaceOf(file);
    // A file whose workspace holds the file itself is refused by the loader (ROLE_INVALID), so it holds
    // nothing here: a planted `workspace: /` must not make every other role file look planted.
    if (workspace === undefined || isInside(workspace, realOr(resolve(file)))) continue;
    workspaces.set(file, workspace);
  }
  const holder = (file: string, among: readonly string[]) => {
    const real = realOr(resolve(file));
    return among.find((other) => {
      const workspace = workspaces.get(other);
      return other !== file && workspace !== undefined && isInside(workspace, real);
    });
  };
  const skipped: SkippedRoleFile[] = [];
  let left = [...found];
  for (;;) {
    const all = [...named, ...left];
    const trusted = [...named, ...left.filter((file) => holder(file, all) === undefined)];
    const next: string[] = [];
    for (const file of left) {
      const by = holder(file, trusted);
      if (by === undefined) next.push(file);
      else skipped.push({ file, workspaceOf: by });
    }
    if (next.length === left.length) {
      // Nothing more in a trusted workspace: what is not trusted itself lies only in untrusted ones.
      const kept: string[] = [];
      for (const file of next) {
        const by = holder(file, all);
        if (by === undefined) kept.push(file);
        else skipped.push({ file, workspaceOf: by });
      }
      return { kept, skipped };
    }
    left = next;
  }
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
