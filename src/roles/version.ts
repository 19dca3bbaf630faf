// A role's version: the hash of its resolved content. Paths count as written (relative to the role file),
// so a role keeps its version wherever the project is checked out; the files it refers to (the model
// script, tool modules) count by content, so editing them makes a new version.
import { readFileSync } from 'node:fs';
import { hashJson, sha256 } from '../canonical-json.js';
import type { AnyTool } from '../tools/types.js';
import type { RoleSpec } from './schema.js';

function fileHash(path: string): string {
  try {
    return sha256(readFileSync(path, 'utf8'));
  } catch {
    return 'missing';
  }
}

export function roleVersion(
  spec: RoleSpec,
  files: { script?: string | undefined; toolModules: string[] },
  inlineTools: readonly AnyTool[] = [],
): string {
  // The delegation keys count only when the role has specialists: a role without any keeps the version
  // it had before delegation existed (runs recorded then still match their role files).
  // The eval suite is not part of the role: editing a suite must not make a new version to evaluate.
  const { evals: _suite, ...content } = spec;
  const { specialists, delegation: _bounds, ...plain } = content;
  return hashJson({
    spec: specialists.length > 0 ? content : plain,
    script: files.script ? fileHash(files.script) : null,
    toolModules: files.toolModules.map(fileHash),
    inlineTools: inlineTools.map((t) => ({
      name: t.name,
      effect: t.effect,
      approval: t.approval,
      idempotent: typeof t.idempotent === 'boolean' ? t.idempotent : 'per-call',
      description: t.description,
    })),
  }).slice(0, 16);
}
