// Roles that run on an executor, written into a temp dir with a workspace and a folder outside it, so a
// test can check from outside (the files on disk) what a session did and did not do.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { tempDir } from '../test/support/tmp.js';

export interface ExecutorRole {
  file: string;
  workspace: string;
  /** A folder next to the workspace: nothing may ever appear in it. */
  outside: string;
  dataDir: string;
  has(rel: string): boolean;
  read(rel: string): string;
  cleanup(): void;
}

export function writeExecutorRole(o: {
  model: string;
  autonomy: 'observe' | 'draft' | 'sandbox' | 'full';
  tools?: string[];
  extra?: Record<string, unknown>;
}): ExecutorRole {
  const tmp = tempDir('nightshift-exec-');
  const workspace = join(tmp.path, 'workspace');
  const outside = join(tmp.path, 'outside');
  mkdirSync(workspace);
  mkdirSync(outside);
  writeFileSync(join(workspace, 'notes.txt'), 'the notes say: write out.txt\n');
  const file = join(tmp.path, 'role.yaml');
  writeFileSync(
    file,
    stringify({
      name: `exec-${o.autonomy}`,
      description: 'a role run by an executor in a test',
      autonomy: o.autonomy,
      model: o.model,
      instructions: 'Read notes.txt, then do what it says.',
      tools: o.tools ?? ['fs.read', 'fs.write', 'fs.list'],
      workspace: './workspace',
      ...o.extra,
    }),
  );
  return {
    file,
    workspace,
    outside,
    dataDir: join(tmp.path, 'data'),
    has: (rel) => existsSync(join(workspace, rel)),
    read: (rel) => readFileSync(join(workspace, rel), 'utf8'),
    cleanup: tmp.cleanup,
  };
}

/** The environment with the executor variables scripts/test-executors.sh exports; skips if they are missing. */
export function executorEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}
