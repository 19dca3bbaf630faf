// Where the CLIs keep a continuous agent's thread between events: one folder per CLI and agent on this
// machine, outside any run's temp folders (which are removed when the session ends). The thread's id is
// the agent's, in the store (AgentRecord.thread); its transcript is the CLI's, in this folder. A worker
// that takes the agent over on this machine (or one sharing the folder) continues the thread; one that
// cannot find the transcript starts a new thread and says so (decision 028).
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NightshiftError } from '../errors.js';
import { EXECUTOR_NAMES, type ExecutorName } from './types.js';

/** Role names are already path-safe (roles/schema.ts ROLE_NAME); this refuses anything else outright. */
const SAFE_OWNER = /^[a-z0-9][a-z0-9._-]*$/;

/**
 * The folder holding every agent's threads. `NIGHTSHIFT_EXECUTOR_THREADS_DIR` moves it (a volume shared
 * by the workers lets a takeover on another machine continue the thread). Not under /tmp by default:
 * Codex will not create its sandbox helper under a temporary folder.
 */
export function threadsRoot(env: NodeJS.ProcessEnv): string {
  const configured = env.NIGHTSHIFT_EXECUTOR_THREADS_DIR?.trim();
  if (configured) return configured;
  const cache = env.XDG_CACHE_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.cache');
  return join(cache, 'nightshift', 'threads');
}

/** The folder where `executor` keeps `owner`'s threads (the CLI's config home). */
export function threadsDir(env: NodeJS.ProcessEnv, executor: ExecutorName, owner: string): string {
  if (!SAFE_OWNER.test(owner))
    throw new NightshiftError('INTERNAL', `thread owner ${JSON.stringify(owner)} is not a role name`);
  return join(threadsRoot(env), executor, owner);
}

/**
 * Whether Claude Code's transcript of session `id` is in `configDir` (it keeps one file per session,
 * `projects/<the cwd, flattened>/<id>.jsonl`). Looked up in every project folder, so a workspace moved
 * or renamed between events does not hide it.
 */
export function claudeTranscriptExists(configDir: string, id: string): boolean {
  // The id comes from the store: never let it name a path outside the folder.
  if (!/^[A-Za-z0-9_-]+$/.test(id)) return false;
  const projects = join(configDir, 'projects');
  if (!existsSync(projects)) return false;
  return readdirSync(projects).some((dir) => existsSync(join(projects, dir, `${id}.jsonl`)));
}

/**
 * The threads a session's commands must not read: every other agent's (their transcripts hold what those
 * agents saw). Codex's sandbox lets commands read the host outside the paths it is told to deny
 * (codex/permissions.ts), so these are added to them; a session with no thread of its own gets the whole
 * folder. Other agents' folders are listed when the session starts, like the other protected paths.
 */
export function othersThreads(
  env: NodeJS.ProcessEnv,
  own: { executor: ExecutorName; owner: string } | undefined,
): string[] {
  const root = threadsRoot(env);
  if (!own) return [root];
  const paths: string[] = [];
  for (const executor of EXECUTOR_NAMES) {
    const dir = join(root, executor);
    if (executor !== own.executor) paths.push(dir);
    else if (existsSync(dir))
      for (const name of readdirSync(dir)) if (name !== own.owner) paths.push(join(dir, name));
  }
  return paths;
}
