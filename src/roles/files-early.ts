// `validate` reports every problem at once. A file whose shape is wrong stops before the checks that need a
// valid role, but the files it names (model script, workspace, tool modules, manager, eval suite, secrets
// file, specialists) can be looked for from the raw YAML: a missing one is reported with the shape's problems instead of
// only after they are fixed. The messages are those of load.ts's resolvePaths, so a file is reported the
// same way whether or not the rest of the role is well formed.
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { YamlSource } from '../config/yaml-file.js';
import type { Issue } from '../errors.js';

const isFile = (path: string) => existsSync(path) && statSync(path).isFile();
/** A value the schema takes as a path; anything else is the shape's problem, reported already. */
const isPath = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** The named files of a role file's raw data that are not there, each at its key's line. */
export function missingFilesOfRaw(source: YamlSource, dir: string): Issue[] {
  // A file with YAML syntax errors has no data to look at.
  if (source.syntaxIssues().length > 0) return [];
  const data = source.data();
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
  const raw = data as Record<string, unknown>;
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string) => issues.push(source.issue(path, message));

  if (typeof raw.model === 'string' && raw.model.startsWith('script:')) {
    const rest = raw.model.slice('script:'.length);
    const abs = resolve(dir, rest);
    if (rest.trim() !== '' && !isFile(abs))
      add(['model'], `script file not found: ${rest} (looked for ${abs})`);
  }
  if (isPath(raw.workspace)) {
    const abs = resolve(dir, raw.workspace);
    if (!existsSync(abs))
      add(['workspace'], `workspace folder not found: ${raw.workspace} (looked for ${abs})`);
    else if (!statSync(abs).isDirectory())
      add(['workspace'], `workspace is not a folder: ${raw.workspace} (${abs})`);
  }
  if (Array.isArray(raw.toolModules))
    raw.toolModules.forEach((m, i) => {
      if (!isPath(m)) return;
      const abs = isAbsolute(m) ? m : resolve(dir, m);
      if (!isFile(abs)) add(['toolModules', i], `tool module not found: ${m} (looked for ${abs})`);
    });
  const manager = raw.manager;
  const managerFile = isPath(manager)
    ? { at: ['manager'], file: manager }
    : manager !== null && typeof manager === 'object' && isPath((manager as { role?: unknown }).role)
      ? { at: ['manager', 'role'], file: (manager as { role: string }).role }
      : undefined;
  if (managerFile) {
    const abs = resolve(dir, managerFile.file);
    if (!isFile(abs))
      add(managerFile.at, `manager role file not found: ${managerFile.file} (looked for ${abs})`);
  }
  if (isPath(raw.evals)) {
    const abs = resolve(dir, raw.evals);
    if (!isFile(abs)) add(['evals'], `eval suite not found: ${raw.evals} (looked for ${abs})`);
  }
  if (isPath(raw.secretsFile)) {
    const abs = resolve(dir, raw.secretsFile);
    if (!existsSync(abs))
      add(['secretsFile'], `secrets file not found: ${raw.secretsFile} (looked for ${abs})`);
  }
  if (Array.isArray(raw.specialists))
    raw.specialists.forEach((f, i) => {
      if (!isPath(f)) return;
      const abs = resolve(dir, f);
      // As loadSpecialists words a specialist that does not load (specialists.ts).
      if (!existsSync(abs)) add(['specialists', i], `specialist ${f}: ${abs}: no such file`);
    });
  return issues;
}
