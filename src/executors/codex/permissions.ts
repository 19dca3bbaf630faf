// Codex's own sandbox as a permission profile (config.toml `[permissions.<id>]`, Codex ≥ 0.138) rather
// than the older `sandbox_mode`: only a profile can deny reads. Codex's read-only and workspace-write
// sandboxes can read the whole file system, including what nightshift's own command sandbox hides (the
// store's data dir, the config file, every role's secrets file, other roles' workspaces). Each of those
// paths is set to "none", which Codex's bubblewrap enforces for every command it runs (reads fail with
// EACCES). danger-full-access has no sandbox to deny anything in: it stays on `sandbox_mode`.
import { realpathSync } from 'node:fs';

export type SandboxedMode = 'read-only' | 'workspace-write';

/** The profile's name in config.toml, as `thread/start` reports it back in `activePermissionProfile`. */
export const PROFILE_ID = 'nightshift';

const toml = (value: string) => JSON.stringify(value);

/** Each path as given and, when it is a symlink or under one, as resolved: either could be read. */
export function deniedPaths(paths: readonly string[]): string[] {
  const out = new Set<string>();
  for (const path of paths) {
    out.add(path);
    try {
      out.add(realpathSync(path));
    } catch {
      // Not there (yet): the path as given is denied, which covers it if it is created later.
    }
  }
  return [...out].sort();
}

/**
 * The `[permissions.nightshift]` tables (config.toml selects it with `default_permissions`, a top-level
 * key, so before any table): the built-in `:read-only` or `:workspace` (writes in the
 * workspace only, not in $TMPDIR or /tmp; no network), with every protected path unreadable.
 */
export function permissionProfile(mode: SandboxedMode, protectedPaths: readonly string[]): string {
  const lines = [
    `[permissions.${PROFILE_ID}]`,
    `extends = ${toml(mode === 'read-only' ? ':read-only' : ':workspace')}`,
    '',
    `[permissions.${PROFILE_ID}.filesystem]`,
  ];
  if (mode === 'workspace-write') lines.push('":tmpdir" = "read"', '":slash_tmp" = "read"');
  for (const path of deniedPaths(protectedPaths)) lines.push(`${toml(path)} = "none"`);
  lines.push('');
  return lines.join('\n');
}
