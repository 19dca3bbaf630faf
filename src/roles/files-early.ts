// The files a role file names (model script, workspace, tool modules, manager, eval suite, secrets file,
// specialists): where each is and what is wrong with it, in one place for both readers. load.ts's
// resolvePaths checks a valid role's files with these; `validate` reports every problem at once, so a file
// whose shape is wrong stops before the checks that need a valid role, but its named files are looked for
// from the raw YAML (missingFilesOfRaw): a missing one is reported with the shape's problems instead of only
// after they are fixed, in the same words either way.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { YamlSource } from '../config/yaml-file.js';
import type { Issue } from '../errors.js';

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();
/** A value the schema takes as a path; anything else is the shape's problem, reported already. */
const isPath = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** A file the role names: its absolute path, and what is wrong with it (`undefined` when nothing is). */
export interface NamedFile {
  abs: string;
  problem: string | undefined;
}

/** A `script:<file>` model's script, `written` as after the colon. */
export function checkScriptFile(written: string, dir: string): NamedFile {
  const abs = resolve(dir, written);
  return { abs, problem: isFile(abs) ? undefined : `script file not found: ${written} (looked for ${abs})` };
}

export function checkWorkspace(written: string, dir: string): NamedFile {
  const abs = resolve(dir, written);
  const problem = !existsSync(abs)
    ? `workspace folder not found: ${written} (looked for ${abs})`
    : !statSync(abs).isDirectory()
      ? `workspace is not a folder: ${written} (${abs})`
      : undefined;
  return { abs, problem };
}

export function checkToolModule(written: string, dir: string): NamedFile {
  const abs = isAbsolute(written) ? written : resolve(dir, written);
  return { abs, problem: isFile(abs) ? undefined : `tool module not found: ${written} (looked for ${abs})` };
}

export function checkManagerFile(written: string, dir: string): NamedFile {
  const abs = resolve(dir, written);
  return {
    abs,
    problem: isFile(abs) ? undefined : `manager role file not found: ${written} (looked for ${abs})`,
  };
}

export function checkEvalSuite(written: string, dir: string): NamedFile {
  const abs = resolve(dir, written);
  return { abs, problem: isFile(abs) ? undefined : `eval suite not found: ${written} (looked for ${abs})` };
}

export function checkSecretsFile(written: string, dir: string): NamedFile {
  const abs = resolve(dir, written);
  return {
    abs,
    problem: existsSync(abs) ? undefined : `secrets file not found: ${written} (looked for ${abs})`,
  };
}

/** The named files of a role file's raw data that are not there, each at its key's line. */
export function missingFilesOfRaw(source: YamlSource, dir: string): Issue[] {
  // A file with YAML syntax errors has no data to look at.
  if (source.syntaxIssues().length > 0) return [];
  const data = source.data();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  const raw = data as Record<string, unknown>;
  const issues: Issue[] = [];
  const add = (path: (string | number)[], { problem }: NamedFile) => {
    if (problem) issues.push(source.issue(path, problem));
  };

  if (typeof raw.model === 'string' && raw.model.startsWith('script:')) {
    const rest = raw.model.slice('script:'.length);
    if (rest.trim() !== '') add(['model'], checkScriptFile(rest, dir));
  }
  if (isPath(raw.workspace)) add(['workspace'], checkWorkspace(raw.workspace, dir));
  if (Array.isArray(raw.toolModules))
    raw.toolModules.forEach((m, i) => {
      if (isPath(m)) add(['toolModules', i], checkToolModule(m, dir));
    });
  const manager = raw.manager;
  if (isPath(manager)) add(['manager'], checkManagerFile(manager, dir));
  else if (manager !== null && typeof manager === 'object') {
    const role = (manager as { role?: unknown }).role;
    if (isPath(role)) add(['manager', 'role'], checkManagerFile(role, dir));
  }
  if (isPath(raw.evals)) add(['evals'], checkEvalSuite(raw.evals, dir));
  if (isPath(raw.secretsFile)) add(['secretsFile'], checkSecretsFile(raw.secretsFile, dir));
  if (Array.isArray(raw.specialists))
    raw.specialists.forEach((f, i) => {
      if (!isPath(f)) return;
      const abs = resolve(dir, f);
      // As loadSpecialists words a specialist that does not load (specialists.ts); a valid role's
      // specialists are checked there, by loading them.
      if (!existsSync(abs))
        issues.push(source.issue(['specialists', i], `specialist ${f}: ${abs}: no such file`));
    });
  return issues;
}
