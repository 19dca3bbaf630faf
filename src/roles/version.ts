// A role's version: the hash of its resolved content. Paths count as written (relative to the role file),
// so a role keeps its version wherever the project is checked out; the files it refers to (the model
// script, tool modules) count by content, so editing them makes a new version.
import { hashJson, sha256 } from '../canonical-json.js';
import { readCappedText, tooLargeReason } from '../config/capped-read.js';
import { NightshiftError } from '../errors.js';
import { MAX_TOOL_MODULE_BYTES, toolModuleTooLarge } from '../tools/modules.js';
import type { AnyTool } from '../tools/types.js';
import type { RoleSpec } from './schema.js';

/**
 * The hash of a file's text, read with the 1 MiB cap (tool modules and model scripts alike): a file over
 * it is refused with TOOL_MODULE_INVALID naming it, rather than read whole. Loading the role checks the
 * sizes first (the script as YAML, each module before import), so this only fires for a file that grew.
 */
function fileHash(path: string, tooLarge: (path: string, size: number | undefined) => Error): string {
  let read: ReturnType<typeof readCappedText>;
  try {
    read = readCappedText(path, MAX_TOOL_MODULE_BYTES);
  } catch {
    return 'missing';
  }
  if (!read.ok) throw tooLarge(path, read.size);
  return sha256(read.text);
}

const scriptTooLarge = (path: string, size: number | undefined) =>
  new NightshiftError('CONFIG_INVALID', `model script ${path} ${tooLargeReason(size)}`, {
    details: { file: path, size: size ?? null, maxBytes: MAX_TOOL_MODULE_BYTES },
  });

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
    script: files.script ? fileHash(files.script, scriptTooLarge) : null,
    toolModules: files.toolModules.map((m) => fileHash(m, toolModuleTooLarge)),
    inlineTools: inlineTools.map((t) => ({
      name: t.name,
      effect: t.effect,
      approval: t.approval,
      // Unsaid hashes as `false`, as when defineTool filled that in: reads defaulting to idempotent
      // (isIdempotent) changed what a call does after a crash, not the role; a new hash would have
      // stopped every code-defined role promoted before (ROLE_INVALID at start, versions.source: active).
      idempotent:
        t.idempotent === undefined ? false : typeof t.idempotent === 'boolean' ? t.idempotent : 'per-call',
      description: t.description,
    })),
  }).slice(0, 16);
}
