// Codex's approval requests as the nightshift calls they amount to, so one policy decides both: a command
// → `shell.exec` (program and arguments, or `bash -c <script>` when the script needs a shell), a file
// change → one `fs.write` / `fs.delete` per file. Paths are made relative to the folder Codex works in; a
// path outside stays absolute, which the fs tools' scope check refuses.
import { lstat, readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { applyPatch } from 'diff';
import { z } from 'zod';
import { openInside, resolveInside } from '../../tools/workspace.js';
import { bashToShellExec, workspacePath } from '../claude-code/tool-map.js';

export const CommandApproval = z
  .object({
    itemId: z.string(),
    approvalId: z.string().nullish(),
    kind: z.string().optional(),
    command: z.string().nullish(),
    cwd: z.string().nullish(),
  })
  .loose();

export const FileChangeApproval = z.object({ itemId: z.string() }).loose();

/** A file change as Codex announces it in `item/started` (before it asks to apply it). */
export const FileUpdate = z
  .object({
    path: z.string(),
    kind: z.object({ type: z.string(), move_path: z.string().nullish() }).loose(),
    diff: z.string(),
  })
  .loose();
export type FileUpdate = z.infer<typeof FileUpdate>;

/** A folder Codex itself reads its rules and settings from: a change there could widen its authority. */
export const CODEX_CONFIG_DIR = '.codex';

/**
 * Splits a command line the way a POSIX shell splits literal words: blanks separate, single quotes keep
 * everything, double quotes keep everything but `\` before `"`, `\`, `$`, `` ` ``. Anything a shell
 * would expand or interpret (`$`, backticks, globs, operators outside quotes) makes it undefined: the
 * line is then not a plain argument vector and is judged as a shell script. Codex quotes the argv it
 * runs this way (`/bin/bash -lc 'cat notes.txt'`).
 */
export function splitCommandLine(line: string): string[] | undefined {
  const words: string[] = [];
  let word: string | undefined;
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === ' ' || c === '\t') {
      if (word !== undefined) words.push(word);
      word = undefined;
      i++;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return undefined;
      word = (word ?? '') + line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      let text = '';
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        const d = line[i]!;
        if (d === '"') break;
        if (d === '$' || d === '`') return undefined;
        if (d === '\\' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) {
          text += line[i + 1];
          i += 2;
          continue;
        }
        text += d;
        i++;
      }
      word = (word ?? '') + text;
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) return undefined;
      word = (word ?? '') + line[i + 1];
      i += 2;
    } else if (/[A-Za-z0-9_@%+=:,./-]/.test(c)) {
      word = (word ?? '') + c;
      i++;
    } else {
      return undefined;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

const SHELLS = ['bash', 'sh', 'zsh', 'dash'];

/**
 * The command Codex asks to run, as shell.exec arguments. Codex wraps the model's script in
 * `<shell> -lc <script>`; the script is judged as Claude's Bash lines are (plain words → program and
 * arguments, anything else → `bash -c <script>`, which the role must allow as `bash`).
 */
export function commandToShellExec(
  command: string,
  cwd: string | null | undefined,
  root: string,
): { command: string; args: string[]; cwd?: string } {
  const argv = splitCommandLine(command);
  let call: { command: string; args: string[] };
  if (!argv || argv.length === 0) call = { command: 'bash', args: ['-c', command] };
  else if (argv.length === 3 && SHELLS.includes(posix.basename(argv[0]!)) && ['-lc', '-c'].includes(argv[1]!))
    call = bashToShellExec(argv[2]!);
  else call = { command: argv[0]!, args: argv.slice(1) };
  const where = cwd ? workspacePath(root, cwd) : '.';
  return where === '.' || where === '' ? call : { ...call, cwd: where };
}

/** The nightshift call a file change amounts to (one or two: a move is a write and a delete). */
export interface ChangeCall {
  tool: string;
  args: Record<string, unknown>;
}

/**
 * The new content of an updated file: Codex's unified diff applied to the file as it is now, read through
 * the workspace confinement and the fs tools' guard (openInside): a path outside, a symlink leading out,
 * a hard-linked file (a second name may be outside) and a fifo (a plain read would block a thread for
 * good) are not read. Undefined when the file cannot be read or the diff does not apply; the change is
 * then judged without its content.
 */
async function updatedContent(root: string, rel: string, diff: string): Promise<string | undefined> {
  const where = await resolveInside(root, rel, 'read', 'fs.write');
  if (!where.ok) return undefined;
  try {
    const handle = await openInside(where, rel, 'read');
    let text: string;
    try {
      text = await handle.readFile('utf8');
    } finally {
      await handle.close();
    }
    const result = applyPatch(text, diff);
    return result === false ? undefined : result;
  } catch {
    return undefined;
  }
}

function isConfigPath(rel: string): boolean {
  const first = posix.normalize(rel).split('/')[0];
  return first === CODEX_CONFIG_DIR;
}

/** One file of a change, as the calls the policy decides on. `root` is the folder Codex works in. */
export async function fileChangeCalls(root: string, change: FileUpdate): Promise<ChangeCall[]> {
  const path = workspacePath(root, change.path);
  const guard = (rel: string, call: ChangeCall): ChangeCall =>
    isConfigPath(rel)
      ? {
          tool: 'codex.config_change',
          args: { path: rel, why: `${CODEX_CONFIG_DIR}/ holds Codex's own rules and settings` },
        }
      : call;
  switch (change.kind.type) {
    case 'add':
      return [guard(path, { tool: 'fs.write', args: { path, content: change.diff } })];
    case 'delete':
      return [guard(path, { tool: 'fs.delete', args: { path } })];
    case 'update': {
      const content = await updatedContent(root, path, change.diff);
      // Never a write with made-up content: a change nightshift cannot reproduce is denied.
      if (content === undefined)
        return [
          {
            tool: 'codex.unreadable_change',
            args: { path, why: 'the file cannot be read or the diff does not apply' },
          },
        ];
      const target = change.kind.move_path ? workspacePath(root, change.kind.move_path) : undefined;
      if (!target) return [guard(path, { tool: 'fs.write', args: { path, content } })];
      return [
        guard(target, { tool: 'fs.write', args: { path: target, content } }),
        guard(path, { tool: 'fs.delete', args: { path } }),
      ];
    }
    default:
      return [{ tool: `codex.${change.kind.type}_change`, args: { path } }];
  }
}

/**
 * Refuses a workspace that holds `.codex/` with anything in it: Codex loads exec-policy rules from it (even
 * for a project it does not trust), and a rule can let commands run without asking nightshift. An empty
 * folder is let through: Codex's own sandbox leaves one behind as the mount point it uses to keep
 * `.codex/` read-only for commands, so refusing it would refuse every later session on the workspace.
 */
export async function refuseCodexConfig(workspace: string): Promise<void> {
  const dir = join(workspace, CODEX_CONFIG_DIR);
  const stat = await lstat(dir).catch(() => undefined);
  if (stat === undefined) return;
  const empty = stat.isDirectory() && (await readdir(dir)).length === 0;
  if (!empty)
    throw new Error(
      `the workspace holds ${CODEX_CONFIG_DIR}/ (${dir}); Codex would load rules from it that can run commands without asking nightshift. Remove it, or run the role on another model`,
    );
}
