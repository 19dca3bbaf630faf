// Confinement of agent-controlled paths to the role's workspace: resolving a path as the model gave it,
// creating missing folders, and opening the file so that nothing read or written can lie outside.
// Every reason names the path as the model gave it and says why, so the model can correct itself.

import { randomBytes } from 'node:crypto';
import { constants, lstatSync, realpathSync, type Stats } from 'node:fs';
import { type FileHandle, lstat, mkdir, open, readlink, rename, unlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
import { NightshiftError } from '../errors.js';
import { callInvalid, toolFailed } from './failures.js';
import { disguisedNameProblem } from './file-names.js';
import type { ScopeVerdict } from './types.js';

/** `absolute` and `workspace` are real paths: no symlink in them at the time of the check. */
export type Confined = { ok: true; absolute: string; workspace: string } | { ok: false; reason: string };

/** What a file is opened for; the write modes are fs.write's, `edit` is fs.edit's read-and-write. */
export type OpenPurpose = 'read' | 'overwrite' | 'append' | 'create' | 'edit';

// On POSIX a backslash is an ordinary character in a file name, so only "/" separates.
const SEPARATOR = sep === '\\' ? /[\\/]/ : /\//;

function isOutside(path: string, workspace: string): boolean {
  const rel = relative(workspace, path);
  return rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel);
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? (err as Error).message;
}

/**
 * Resolves `userPath` (relative, as the model gave it) inside `workspace`, or says why it may not be used.
 * Never throws: a check that cannot be made refuses.
 *
 * - Absolute paths, NUL bytes and empty paths are refused; for `write`, so are paths holding a
 *   bidirectional control or a zero-width character (file-names.ts).
 * - `..` is applied to the path as written, before symlinks are followed (like `cd -L`, not the kernel),
 *   and the tool opens the path that was checked, so the two never disagree. A path that steps above the
 *   workspace at any point is refused, even if it comes back (`../ws/a.txt`): it names files by their
 *   place outside the workspace.
 * - Every existing component is lstat'ed. A symlink is followed only if its real path stays inside, and
 *   the walk goes on from that real path, so `absolute` holds no symlink at the time of the check.
 * - For `write`, a final component that is a symlink is refused even when it points inside: the file is
 *   opened with O_NOFOLLOW (so a link swapped in after this check cannot redirect the write), which cannot
 *   tell a link that was always there from one swapped in; refusing here gives the same answer early, with
 *   a reason. The model can write to the link's target instead. For `read`, a link that stays inside is
 *   fine.
 * - For `write`, a path in a `.git` (as written or as resolved, in any case, ignorable characters dropped)
 *   is refused: git's config and hooks run programs for a person who later uses git in the workspace
 *   (inGitFolder); so is a write that leaves a folder git takes for a repository (gitLayoutFolder).
 *   Reading is fine.
 *
 * The realpath and lstat calls here are synchronous on purpose: their number is bounded by the path's
 * depth, each is a few microseconds of kernel work, and the async forms cost 5-10x that in CPU (a thread
 * pool hand-off, a promise and a wake-up of the loop per call; measured 60-100 us against 6-10 us on the
 * 2-core bench machine), which made this check 20 % of a Postgres worker's busy time in the substrate
 * bench (each fs call resolves twice: for the policy's scope and in the tool). The checks and their order
 * are unchanged. Listing and reading a file's contents, whose cost grows with the data, stay async.
 */
export async function resolveInside(
  workspace: string | undefined,
  userPath: string,
  purpose: 'read' | 'write',
  /** The tool asking (`fs.read`), named when the workspace itself cannot be used. */
  tool: string,
): Promise<Confined> {
  const where = await resolvePath(workspace, userPath, purpose, tool);
  if (!where.ok || purpose === 'read') return where;
  // The path as written (`.git` may be a symlink to a folder of another name) and as resolved (a link
  // named otherwise may lead into `.git`).
  const written = userPath.split(SEPARATOR);
  const resolved = relative(where.workspace, where.absolute).split(sep);
  if (inGitFolder(written) || inGitFolder(resolved)) return { ok: false, reason: gitFolderReason(userPath) };
  const layout = gitLayoutFolder(where.workspace, resolved);
  if (layout !== undefined) return { ok: false, reason: gitLayoutReason(userPath, layout) };
  return where;
}

/**
 * A name as git would match it on a file system that folds case and drops what does not show: the
 * default-ignorable code points (soft hyphen, zero-width characters, the deprecated format controls)
 * taken out, NFKC (full-width letters are ASCII), lower case. `.g\u00ADit` is `.git` here.
 */
function gitName(name: string): string {
  return name
    .replace(/\p{Default_Ignorable_Code_Point}/gu, '')
    .normalize('NFKC')
    .toLowerCase();
}

/**
 * The folder (relative to the workspace, `.` for the workspace itself) that would, once a file is
 * written at `resolved` (the path's names below the workspace, symlinks resolved), be a git directory
 * by git's own test (setup.c, is_git_directory): a `HEAD` beside `objects` and `refs`, or beside a
 * `commondir` (which points git at another folder's objects and refs). Git takes such a folder for a bare
 * repository when it is run in it or below it, and its `config` then names programs git runs (a
 * `core.pager`, a `core.fsmonitor`), as for `.git`. Every existing folder on the path is judged with the
 * entry the write adds to it (the next name, in any case), so both completing the layout and writing into
 * a folder that already has it are caught; a `config` file, or a `refs/` folder of notes, alone is fine.
 * Only exact names are looked up among what exists (lstat: on a file system that folds case, `head` is
 * found as `HEAD`, as git finds it). Folders the write creates hold one entry, never a layout.
 */
function gitLayoutFolder(workspace: string, resolved: readonly string[]): string | undefined {
  let folder = workspace;
  for (const [i, next] of resolved.entries()) {
    const adds = gitName(next);
    const has = (entry: string) => adds === entry.toLowerCase() || exists(join(folder, entry));
    if (has('HEAD') && (has('commondir') || (has('objects') && has('refs'))))
      return relative(workspace, folder) || '.';
    if (i === resolved.length - 1) break;
    folder = join(folder, next);
    try {
      if (!lstatSync(folder).isDirectory()) break;
    } catch {
      break;
    }
  }
  return undefined;
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function gitLayoutReason(userPath: string, folder: string): string {
  return `writing '${userPath}' would leave '${folder}' holding HEAD with objects and refs (or commondir), which git takes for a repository whose config names programs git runs for whoever uses git there, outside the sandbox; fs tools do not make or write in such a folder`;
}

/**
 * The scope check of fs.delete for a path's names (as written and as resolved): deleting in a `.git` is
 * refused like writing there. Removing `.git/HEAD` makes git pass over `.git` and take the folder around
 * it for a bare repository, whose `config` and `objects/info/alternates` the role may have written.
 */
export function gitFolderDeleteReason(userPath: string, ...paths: (readonly string[])[]): string | undefined {
  return paths.some(inGitFolder) ? gitFolderReason(userPath, 'delete') : undefined;
}

/**
 * Whether a path (as its names) is or lies in a `.git`: git's own folder, or the file that points to it.
 * Its `config` and `hooks` name programs git runs for whoever uses git in the workspace (`core.fsmonitor`
 * on `git status`, `diff.external` on `git diff`, a `pre-commit` hook), the person reviewing the role's
 * work included, as that person and outside the sandbox. Any case: `.GIT` is `.git` on a file system
 * that ignores case.
 */
function inGitFolder(names: readonly string[]): boolean {
  return names.some((name) => gitName(name) === '.git');
}

function gitFolderReason(userPath: string, verb: 'write' | 'delete' = 'write'): string {
  return `'${userPath}' is in git's own folder (.git), whose config and hooks name programs git runs for whoever uses git in the workspace, outside the sandbox; fs tools do not ${verb} there`;
}

async function resolvePath(
  workspace: string | undefined,
  userPath: string,
  purpose: 'read' | 'write',
  tool: string,
): Promise<Confined> {
  // A role loaded today cannot list a workspace tool without a workspace (roles/workspace-tools.ts); one
  // stored before that check, or defined in code with tool modules, still can.
  if (!workspace)
    return {
      ok: false,
      reason: `role has no workspace; ${tool} needs one (set workspace: in the role file)`,
    };
  if (typeof userPath !== 'string' || userPath.trim() === '')
    return { ok: false, reason: 'the path is empty' };
  // The path itself stays out of this reason: a NUL would travel on into logs and the store.
  if (userPath.includes('\0')) return { ok: false, reason: 'the path contains a NUL byte' };
  // Only names made or written: an existing file with such a name can still be read, listed and deleted.
  const disguised = purpose === 'write' ? disguisedNameProblem(userPath) : undefined;
  if (disguised) return { ok: false, reason: disguised };
  if (isAbsolute(userPath) || /^[a-zA-Z]:[\\/]/.test(userPath))
    return { ok: false, reason: `path '${userPath}' is absolute; use a path relative to the workspace` };

  const parts: string[] = [];
  for (const segment of userPath.split(SEPARATOR)) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') parts.push(segment);
    else if (parts.pop() === undefined)
      return { ok: false, reason: `path '${userPath}' leaves the workspace` };
  }

  let ws: string;
  try {
    ws = realpathSync.native(workspace);
  } catch (err) {
    const code = errorCode(err);
    return {
      ok: false,
      reason:
        code === 'ENOENT'
          ? `the workspace ${workspace} does not exist, so ${tool} cannot work in it; create it or fix workspace: in the role file`
          : `the workspace ${workspace} cannot be used by ${tool} (${code})`,
    };
  }

  let current = ws;
  for (const [i, part] of parts.entries()) {
    const next = join(current, part);
    let st: Stats;
    try {
      st = lstatSync(next);
    } catch (err) {
      // Missing (or under a file, which the open will report): nothing further exists to follow.
      const code = errorCode(err);
      if (code === 'ENOENT' || code === 'ENOTDIR')
        return { ok: true, absolute: join(next, ...parts.slice(i + 1)), workspace: ws };
      return { ok: false, reason: `'${userPath}' cannot be checked (${code})` };
    }
    if (!st.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (i === parts.length - 1 && purpose === 'write')
      return {
        ok: false,
        reason: `'${userPath}' is a symlink; fs tools do not write through symlinks (write to its target)`,
      };
    let real: string;
    try {
      real = realpathSync.native(next);
    } catch (err) {
      return { ok: false, reason: `'${userPath}' goes through a broken symlink (${errorCode(err)})` };
    }
    if (isOutside(real, ws))
      return {
        ok: false,
        reason: `'${userPath}' resolves through a symlink to ${real}, outside the workspace`,
      };
    current = real;
  }
  return { ok: true, absolute: current, workspace: ws };
}

function realOr(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/**
 * The protected path (ToolContext.protectedPaths: the store, the project config, secrets files, other
 * roles' workspaces) that `where.absolute`, a resolved path, is or lies in; with `containing`, also one
 * that lies in it (a folder deleted or searched whole). The sandbox hides these from commands; the fs
 * tools refuse them, or a role whose workspace holds the project config could rewrite who decides and
 * where model keys are sent. As in the sandbox, a protected path that is the workspace or a folder
 * around it (an outer role's workspace) does not count: it would hide the whole workspace.
 */
export function protectedOverlap(
  where: { absolute: string; workspace: string },
  protectedPaths: readonly string[] | undefined,
  containing = false,
): { path: string; holds: boolean } | undefined {
  for (const path of protectedPaths ?? []) {
    const real = realOr(path);
    if (!isOutside(where.workspace, real)) continue;
    if (!isOutside(where.absolute, real)) return { path, holds: false };
    if (containing && !isOutside(real, where.absolute)) return { path, holds: true };
  }
  return undefined;
}

/**
 * Whether a real path inside `workspace` (a real path) is or lies in a protected path, as protectedOverlap
 * judges it, for a tool that checks many entries (fs.list): the protected paths are resolved once here,
 * not once per entry.
 */
export function protectedWithin(
  workspace: string,
  protectedPaths: readonly string[] | undefined,
): (absolute: string) => boolean {
  const inside = (protectedPaths ?? []).map(realOr).filter((real) => isOutside(workspace, real));
  return (absolute) => inside.some((real) => !isOutside(absolute, real));
}

/** Why a resolved path may not be touched (it is, or with `containing` holds, a protected path), if so. */
export function protectedReason(
  where: { absolute: string; workspace: string },
  protectedPaths: readonly string[] | undefined,
  userPath: string,
  containing = false,
): string | undefined {
  const hit = protectedOverlap(where, protectedPaths, containing);
  if (hit === undefined) return undefined;
  return `'${userPath}' ${hit.holds ? 'holds' : 'is'} a protected path (${hit.path}: the store, the project config, a secrets file or another role's workspace); fs tools neither read nor change it`;
}

/**
 * Throws SCOPE_VIOLATION when a resolved path is (or, with `containing`, holds) a protected path. The
 * second line: the scope check (workspaceScope) already had the policy deny such a call; this catches a
 * path that became protected, or was swapped, between the decision and the run.
 */
export function refuseProtected(
  where: { absolute: string; workspace: string },
  protectedPaths: readonly string[] | undefined,
  userPath: string,
  containing = false,
): void {
  const reason = protectedReason(where, protectedPaths, userPath, containing);
  if (reason !== undefined) throw new NightshiftError('SCOPE_VIOLATION', reason);
}

/**
 * The scope check of a workspace-confined tool: the same resolution its run() repeats, and the same
 * protected-path refusal, so the policy denies such a call when it decides, at every autonomy (never
 * drafted for a person to approve only for it to fail when it runs).
 */
export async function workspaceScope(
  workspace: string | undefined,
  userPath: string,
  purpose: 'read' | 'write',
  tool: string,
  protectedPaths?: readonly string[],
): Promise<ScopeVerdict> {
  const r = await resolveInside(workspace, userPath, purpose, tool);
  if (!r.ok) return { kind: 'outside', reason: r.reason };
  const refused = protectedReason(r, protectedPaths, userPath);
  if (refused !== undefined) return { kind: 'outside', reason: refused };
  return {
    kind: 'inside',
    canonical: { path: relative(r.workspace, r.absolute).split(sep).join('/') || '.' },
  };
}

function violation(userPath: string, what: string): NightshiftError {
  return new NightshiftError(
    'SCOPE_VIOLATION',
    `'${userPath}' ${what} after it was checked, so it may lead outside the workspace; nothing was read or written`,
  );
}

/**
 * Creates the folders missing above a resolved path, one at a time, each checked to be a real folder
 * (not a symlink swapped in since the check). Residual hazard, as Node has no openat(): a parent swapped
 * for a symlink between two steps can let an empty folder appear outside; no file content can follow it
 * there, because openInside checks where the opened file really is.
 */
export async function makeParents(
  where: { absolute: string; workspace: string },
  userPath: string,
): Promise<void> {
  // Checked before the first folder is made: a path the file system refuses (a name over NAME_MAX, the
  // whole over PATH_MAX) would otherwise fail part-way, leaving the folders made before it behind.
  const tooLong = lengthProblem(where.absolute);
  if (tooLong) throw callInvalid(`cannot write '${userPath.slice(0, 200)}': ${tooLong}`);
  let current = where.workspace;
  for (const part of relative(where.workspace, dirname(where.absolute)).split(sep).filter(Boolean)) {
    current = join(current, part);
    try {
      await mkdir(current);
    } catch (err) {
      if (errorCode(err) !== 'EEXIST')
        throw toolFailed(`cannot create the folders for '${userPath}' (${errorCode(err)})`, err);
    }
    const st = await lstat(current);
    if (st.isSymbolicLink()) throw violation(userPath, 'had a folder replaced by a symlink');
    if (!st.isDirectory())
      throw callInvalid(
        `cannot write '${userPath}': '${relative(where.workspace, current)}' is not a folder`,
      );
  }
}

/** Linux's limits, in bytes: one name (NAME_MAX) and a whole path with its terminating NUL (PATH_MAX). */
const NAME_MAX = 255;
const PATH_MAX = 4096;

function lengthProblem(absolute: string): string | undefined {
  const bytes = Buffer.byteLength(absolute);
  if (bytes >= PATH_MAX)
    return `the path is ${bytes} bytes long; the file system takes less than ${PATH_MAX}`;
  const long = absolute.split(sep).find((name) => Buffer.byteLength(name) > NAME_MAX);
  if (long !== undefined)
    return `a name in it is ${Buffer.byteLength(long)} bytes long; the file system takes at most ${NAME_MAX}`;
  return undefined;
}

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isFIFO()) return 'a fifo';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Whether an open file lies inside the workspace: the kernel's answer on Linux (/proc/self/fd); elsewhere,
 * whether the checked path still leads to the same file (device and inode).
 */
async function liesInside(
  handle: FileHandle,
  where: { absolute: string; workspace: string },
  opened: Stats,
): Promise<boolean> {
  try {
    return !isOutside(await readlink(`/proc/self/fd/${handle.fd}`), where.workspace);
  } catch {
    const now = await lstat(where.absolute).catch(() => undefined);
    return now !== undefined && now.dev === opened.dev && now.ino === opened.ino;
  }
}

/** Whether an open file lies in a `.git` of the workspace, by the kernel's answer (Linux; elsewhere no). */
async function opensInGitFolder(handle: FileHandle, where: { workspace: string }): Promise<boolean> {
  try {
    return inGitFolder(relative(where.workspace, await readlink(`/proc/self/fd/${handle.fd}`)).split(sep));
  } catch {
    return false;
  }
}

/** Unlinks the file `handle` was opened on, by its real path, when that path still names the same file. */
async function removeStray(handle: FileHandle, opened: Stats): Promise<void> {
  try {
    const real = await readlink(`/proc/self/fd/${handle.fd}`);
    const now = await lstat(real);
    if (now.dev === opened.dev && now.ino === opened.ino) await unlink(real);
  } catch {
    // Best effort: the refusal below is what matters, and nothing was written to the file.
  }
}

/**
 * Opens a resolved regular file with O_NOFOLLOW (a symlink swapped in after the check is refused, not
 * followed) and O_NONBLOCK (a fifo swapped in cannot hang the open), then checks the opened descriptor
 * (fstat, /proc/self/fd), before a byte is read or written, so no check can be raced by a swap between it
 * and the open:
 * - it is a regular file;
 * - it really lies inside the workspace (a parent swapped for a symlink is caught here; a new file this
 *   call created through it is removed again, empty);
 * - it has one hard link, for reading as for writing: a second name may be a file outside the workspace
 *   (a hard link made before the run, from `ln /etc/shadow ws/x`), and a link cannot be told from its
 *   original.
 * Devices and fifos are refused before they are opened, since opening some devices has effects. A write
 * never truncates at open (fs.write truncates only after these checks). Errors other than these are the
 * open's own (ENOENT, EEXIST), for the tool to phrase.
 */
export async function openInside(
  where: { absolute: string; workspace: string },
  userPath: string,
  purpose: OpenPurpose,
): Promise<FileHandle> {
  // A symlink is left for O_NOFOLLOW to refuse: the one check that also holds after this lstat.
  const before = await lstat(where.absolute).catch(() => undefined);
  if (before && !before.isFile() && !before.isSymbolicLink())
    throw callInvalid(`'${userPath}' is ${kindOf(before)}, not a regular file`);
  const base = constants.O_NOFOLLOW | constants.O_NONBLOCK;
  const flags =
    purpose === 'read'
      ? base | constants.O_RDONLY
      : purpose === 'edit'
        ? base | constants.O_RDWR
        : base |
          constants.O_WRONLY |
          constants.O_CREAT |
          (purpose === 'append' ? constants.O_APPEND : purpose === 'create' ? constants.O_EXCL : 0);
  // A write to a name that was not there opens with O_EXCL, so this call knows the file is its own
  // creation (and may remove it again, below); one that appeared meanwhile is opened as it is.
  const writes = purpose === 'overwrite' || purpose === 'append' || purpose === 'create';
  let created = purpose === 'create';
  let handle: FileHandle;
  try {
    try {
      handle = await open(
        where.absolute,
        flags | (writes && before === undefined ? constants.O_EXCL : 0),
        0o644,
      );
      created ||= writes && before === undefined;
    } catch (err) {
      if (!(errorCode(err) === 'EEXIST' && purpose !== 'create' && before === undefined)) throw err;
      handle = await open(where.absolute, flags, 0o644);
    }
  } catch (err) {
    if (errorCode(err) === 'ELOOP') throw violation(userPath, 'became a symlink');
    throw err;
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw callInvalid(`'${userPath}' is ${kindOf(st)}, not a regular file`);
    if (!(await liesInside(handle, where, st))) {
      // A write whose folder was swapped for a symlink between the check and the open made a new, empty
      // file outside: take it away again (only that file: same device and inode, and none there before).
      if (created) await removeStray(handle, st);
      throw violation(userPath, 'was redirected');
    }
    if (purpose !== 'read' && (await opensInGitFolder(handle, where))) {
      // The same swap, into the workspace's `.git` (resolveInside refused the path as written).
      if (created) await removeStray(handle, st);
      throw new NightshiftError(
        'SCOPE_VIOLATION',
        `${gitFolderReason(userPath)} (it was redirected there after it was checked)`,
      );
    }
    if (st.nlink > 1)
      throw new NightshiftError(
        'SCOPE_VIOLATION',
        `'${userPath}' has ${st.nlink} hard links; one may be a file outside the workspace, so fs tools neither read nor write it`,
      );
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Puts `content` at a resolved path whole: written to a new file beside it (opened as openInside opens a
 * new file, so it is checked to lie inside the workspace and outside `.git`), then renamed over the path.
 * A crash at any moment leaves the old content or the new, never a part of either; the old content is not
 * touched until the new is complete. At worst a crash leaves the new file behind, named
 * `.nightshift-<hex>.tmp` in the same folder.
 *
 * `current` is the file now at the path, opened and checked by openInside, when there is one: the new file
 * takes its permission bits (not set-id bits), and the path must still name it at the rename, or nothing is
 * replaced. The rename resolves the folder again, but both names are in it and the new file's name is
 * random: through a folder swapped for a symlink it finds no such file, and fails.
 */
export async function replaceInside(
  where: { absolute: string; workspace: string },
  userPath: string,
  content: string,
  current: FileHandle | undefined,
): Promise<void> {
  const was = current ? await current.stat() : undefined;
  const temporary = {
    absolute: join(dirname(where.absolute), `.nightshift-${randomBytes(8).toString('hex')}.tmp`),
    workspace: where.workspace,
  };
  const handle = await openInside(temporary, userPath, 'create');
  let renamed = false;
  try {
    try {
      if (was) await handle.chmod(was.mode & 0o777);
      await handle.writeFile(content, 'utf8');
    } finally {
      await handle.close();
    }
    if (was) {
      const now = await lstat(where.absolute).catch(() => undefined);
      if (!now || now.dev !== was.dev || now.ino !== was.ino)
        throw toolFailed(
          `'${userPath}' was replaced or removed while this call wrote it; nothing was changed`,
        );
    }
    try {
      await rename(temporary.absolute, where.absolute);
      renamed = true;
    } catch (err) {
      if (errorCode(err) === 'EISDIR') throw callInvalid(`'${userPath}' is a folder`, err);
      if (errorCode(err) === 'ENOENT') throw violation(userPath, 'had a folder moved');
      throw toolFailed(`cannot write '${userPath}' (${errorCode(err)})`, err);
    }
  } finally {
    if (!renamed) await unlink(temporary.absolute).catch(() => undefined);
  }
}
