// Claude Code's tools as the nightshift tools they amount to, so one policy decides both. Pure: no I/O.
// A tool with no equivalent maps to `claude-code.<Name>`, a name no role can list, so the policy denies it.
import { isAbsolute, relative, sep } from 'node:path';

/** Claude Code tool → nightshift tool. Only these are offered to the session (and only if the role lists them). */
export const CLAUDE_TOOL_EQUIVALENTS: Readonly<Record<string, string>> = {
  Read: 'fs.read',
  Write: 'fs.write',
  Edit: 'fs.edit',
  Glob: 'fs.list',
  Grep: 'fs.search',
  Bash: 'shell.exec',
};

/** The Claude Code tools a role's tool list allows the session to see. */
export function claudeToolsFor(roleTools: readonly string[]): string[] {
  return Object.entries(CLAUDE_TOOL_EQUIVALENTS)
    .filter(([, ours]) => roleTools.includes(ours))
    .map(([theirs]) => theirs);
}

/**
 * A path as Claude gives it (usually absolute, under its cwd) made relative to the workspace. A path outside
 * stays as it was: the fs tools' scope check refuses absolute paths, so the call is denied, never widened.
 */
export function workspacePath(workspace: string, path: unknown): string {
  if (typeof path !== 'string' || path === '') return '';
  if (!isAbsolute(path)) return path;
  const rel = relative(workspace, path);
  if (rel === '') return '.';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return path;
  return rel;
}

/** Plain words only: a command nightshift can run as an argument vector without a shell. */
const PLAIN_COMMAND = /^[A-Za-z0-9_@%+=:,./ -]+$/;

/**
 * A Bash command line as shell.exec arguments. Plain words become the program and its arguments; anything
 * using the shell (pipes, redirections, quotes, variables) becomes `bash -c <line>`, so the role must allow
 * `bash` itself: the policy then sees what it really is.
 */
export function bashToShellExec(command: string): { command: string; args: string[] } {
  const line = command.trim();
  if (line !== '' && PLAIN_COMMAND.test(line)) {
    const [program, ...args] = line.split(/\s+/);
    return { command: program!, args };
  }
  return { command: 'bash', args: ['-c', command] };
}

const GLOB_CHARS = /[*?[\]{}]/;

/**
 * The folder a Glob may reach: its `path` (or the workspace) joined with the pattern's segments, glob
 * segments dropped. A glob segment matches one folder (`*`) or any number (`**`), so dropping it gives
 * the shallowest place a `..` after it can climb to: two `**` then `../../x` reach `../..`, which the
 * scope check refuses. With no `..`, the folder itself. An absolute pattern is made relative to the
 * workspace, or stays absolute (and is refused) when it lies outside.
 */
export function globFolder(workspace: string, base: string, pattern: unknown): string {
  if (typeof pattern !== 'string' || pattern === '') return base;
  let start = base;
  let rest = pattern;
  if (isAbsolute(pattern)) {
    // By prefix, not path.relative: that would cancel `**/..` pairs that a glob may not cancel.
    const root = workspace.endsWith(sep) ? workspace : `${workspace}${sep}`;
    if (!pattern.startsWith(root)) return pattern;
    start = '.';
    rest = pattern.slice(root.length);
  }
  const segments = rest.split('/');
  const lastUp = segments.lastIndexOf('..');
  if (lastUp < 0) return start;
  const reach = segments.slice(0, lastUp + 1).filter((s) => !GLOB_CHARS.test(s));
  // Joined by hand, not with path.join: it would cancel `a/..` before the scope check sees a climb.
  return [start, ...reach].filter((s) => s !== '' && s !== '.').join('/') || '.';
}

function optional<T>(key: string, value: T | undefined): Record<string, T> {
  return value === undefined ? {} : { [key]: value };
}

/** Claude's tool name and input as the equivalent nightshift call. */
export function toNightshiftCall(
  workspace: string,
  claudeTool: string,
  input: Record<string, unknown>,
): { tool: string; args: unknown } {
  const path = (key: string) => workspacePath(workspace, input[key]);
  switch (claudeTool) {
    case 'Read':
      return { tool: 'fs.read', args: { path: path('file_path') } };
    case 'Write':
      return { tool: 'fs.write', args: { path: path('file_path'), content: input.content } };
    case 'Edit':
      return {
        tool: 'fs.edit',
        args: {
          path: path('file_path'),
          old: input.old_string,
          new: input.new_string,
          ...optional('all', input.replace_all as boolean | undefined),
        },
      };
    case 'Glob':
      // fs.list has no glob: the policy decides on the folder the pattern can reach, so a pattern that
      // climbs out (`../*`, `/etc/*`) is refused like a path that does.
      return {
        tool: 'fs.list',
        args: {
          path: globFolder(workspace, input.path ? path('path') : '.', input.pattern),
          recursive: true,
        },
      };
    case 'Grep':
      return {
        tool: 'fs.search',
        args: { pattern: input.pattern, regex: true, path: input.path ? path('path') : '.' },
      };
    case 'Bash':
      return { tool: 'shell.exec', args: bashToShellExec(String(input.command ?? '')) };
    default:
      return { tool: `claude-code.${claudeTool}`, args: input };
  }
}
