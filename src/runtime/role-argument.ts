// The role a plain JavaScript caller hands to run, enqueue, deliver or work. The compiler holds TypeScript
// callers to `Role`; without it, an object with a `name` passed the old check and failed deep inside
// (a TypeError reading `model`), and a role spec not passed through defineRole reached the engine without
// its version or folder. What the engine reads before anything is recorded is checked here, so the caller
// is told what is missing and nothing is written.
import { z } from 'zod';
import { AUTONOMY_LEVELS } from '../domain.js';
import { NightshiftError } from '../errors.js';

const LoadedRole = z.looseObject({
  name: z.string().min(1),
  model: z.string().min(1),
  autonomy: z.enum(AUTONOMY_LEVELS),
  tools: z.array(z.string()),
  inlineTools: z.array(z.unknown()),
  version: z.string().min(1),
  // Not required: a role rebuilt from a version an older store recorded may lack it, and the engine finds
  // its files by absolute paths already resolved into the role.
  source: z.looseObject({ dir: z.string() }).optional(),
});

/**
 * Role objects that passed: a caller runs the same role object again and again (a loop of run(), a worker
 * per event), and the check is ~10 µs of zod each time.
 */
const passed = new WeakSet<object>();

/** What `role` is, for a message: never its contents (a role object may hold instructions or secrets' names). */
function describe(role: unknown): string {
  if (role === null) return 'null';
  if (role === '') return "''";
  if (Array.isArray(role)) return 'an array';
  return typeof role;
}

/**
 * Why `role` is not a loaded role (a defineRole or loadRoleFile result), or undefined when it is one.
 * Names the first field that is missing or wrong, e.g. "an object without 'model' (not a loaded role)".
 */
export function notALoadedRole(role: unknown): string | undefined {
  if (role === null || typeof role !== 'object' || Array.isArray(role)) return describe(role);
  if (passed.has(role)) return undefined;
  const parsed = LoadedRole.safeParse(role);
  if (parsed.success) {
    passed.add(role);
    return undefined;
  }
  const path = parsed.error.issues[0]!.path;
  // biome-ignore lint/suspicious/noExplicitAny: walking an unknown object along zod's issue path.
  const value = path.reduce<any>((o, key) => o?.[key as string], role);
  return `an object ${value === undefined ? 'without' : 'with a wrong'} '${path.join('.')}' (not a loaded role)`;
}

/**
 * Refuses, as USAGE, a role argument that is neither a loaded role nor (where `paths` allows) a role file's
 * path: `method` names the call in the message.
 */
export function checkRoleArgument(method: string, role: unknown, options: { paths: boolean }): void {
  if (options.paths && typeof role === 'string' && role !== '') return;
  const why = notALoadedRole(role);
  if (why === undefined) return;
  const wanted = options.paths
    ? "a role file's path or a role (a defineRole or loadRoleFile result)"
    : 'a role (a defineRole or loadRoleFile result)';
  throw new NightshiftError(
    'USAGE',
    `runtime.${method}(): role must be ${wanted}, got ${why}; nothing was recorded`,
  );
}
