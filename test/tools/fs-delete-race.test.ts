// fs.delete against a real race: another process (as an agent's command could) swaps a folder on the path,
// or inside the tree being deleted, for a symlink to a folder outside the workspace, over and over, while
// fs.delete runs again and again. Removing by path (Node's fs.rm) resolves every component anew at each
// system call and so removed files outside; the outside folder must survive every attempt.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { fsDelete } from '../../src/tools/builtin/index.js';
import { removeInside } from '../../src/tools/remove-inside.js';
import { testRole, toolContext } from '../support/role.js';
import { tempDir } from '../support/tmp.js';

// On main's code (removal by path) the outside folder lost files within 32-184 attempts in 8 of 8 runs.
const ATTEMPTS = 600;

// Keeps `point` changing: a real folder (holding victim/keep.txt and victim/sub/deep.txt), then a symlink
// to `outside` (which holds the same names), and so on, each held 0-0.4 ms (with a moment of nothing
// between them: Node has no rename that exchanges). The
// folder and the symlink wait in `stash` (in the workspace, outside what is deleted) between their turns.
const SWAPPER = `
const fs = require('node:fs');
const path = require('node:path');
const [stash, point, outside] = process.argv.slice(1);
const real = stash + '/real-a', link = stash + '/link-a';
const pause = new Int32Array(new SharedArrayBuffer(4));
const hold = () => Atomics.wait(pause, 0, 0, Math.random() * 0.4);
for (let i = 0; ; i++) {
  try { fs.mkdirSync(path.dirname(point), { recursive: true }); } catch {}
  try { fs.mkdirSync(real + '/victim/sub', { recursive: true }); } catch {}
  try { fs.writeFileSync(real + '/victim/keep.txt', 'inside'); } catch {}
  try { fs.writeFileSync(real + '/victim/sub/deep.txt', 'inside'); } catch {}
  try { fs.symlinkSync(outside, link); } catch {}
  if (i === 0) process.stdout.write('ready\\n');
  for (const [from, to, held] of [[real, point, 1], [point, real], [link, point, 1], [point, link]]) {
    try { fs.renameSync(from, to); } catch {}
    if (held) hold();
  }
}`;

const tmp = tempDir('nightshift-fs-delete-race-');
const children: ChildProcess[] = [];
after(() => {
  for (const child of children) child.kill('SIGKILL');
  tmp.cleanup();
});

async function startSwapper(stash: string, point: string, outside: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', SWAPPER, stash, point, outside], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the swapper exited (${code})`)));
  });
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

/** The outside folder, with the same names as the workspace's victim folder. */
function makeOutside(name: string): string {
  const outside = join(tmp.path, `${name}-outside`);
  mkdirSync(join(outside, 'victim', 'sub'), { recursive: true });
  writeFileSync(join(outside, 'victim', 'keep.txt'), 'outside');
  writeFileSync(join(outside, 'victim', 'sub', 'deep.txt'), 'outside');
  return outside;
}

const intact = (outside: string) =>
  existsSync(join(outside, 'victim', 'keep.txt')) && existsSync(join(outside, 'victim', 'sub', 'deep.txt'));

/**
 * Deletes `path` (recursive) ATTEMPTS times while `<ws>/<point>` is swapped; stops at the first attempt
 * after which the outside folder lost a file. Returns what the attempts did.
 */
async function race(ws: string, point: string, outside: string, path: string) {
  const role = testRole({ workspace: ws, tools: ['fs.delete'] });
  const swapper = await startSwapper(ws, join(ws, point), outside);
  const outcomes: Record<string, number> = {};
  let damagedAt: number | undefined;
  try {
    for (let i = 0; i < ATTEMPTS && damagedAt === undefined; i++) {
      let outcome: string;
      try {
        const done = await fsDelete.run(fsDelete.input.parse({ path, recursive: true }), toolContext(role));
        outcome = done.deleted ? 'deleted' : 'absent';
      } catch (err) {
        outcome = NightshiftError.isInstance(err) ? err.code : `raw ${(err as NodeJS.ErrnoException).code}`;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (!intact(outside)) damagedAt = i + 1;
      // Time for the swapper to put back what was deleted (at the start of its cycle), so that most
      // attempts find something to delete and race over it.
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    await stop(swapper);
  }
  return { outcomes, damagedAt, left: readdirSync(join(outside, 'victim'), { recursive: true }) };
}

describe('fs.delete while another process swaps folders for symlinks to outside', () => {
  it('a folder on the path: never removes anything outside', async () => {
    const ws = join(tmp.path, 'path-ws');
    mkdirSync(ws);
    const outside = makeOutside('path');
    const { outcomes, damagedAt, left } = await race(ws, 'a', outside, 'a/victim');
    assert.equal(
      damagedAt,
      undefined,
      `outside lost files at attempt ${damagedAt}: ${JSON.stringify({ outcomes, left })}`,
    );
    // The race was run: some attempts found the real folder and deleted it.
    assert.ok((outcomes.deleted ?? 0) > 0, JSON.stringify(outcomes));
  });

  it('a folder inside the tree being deleted: never removes anything outside', async () => {
    const ws = join(tmp.path, 'tree-ws');
    mkdirSync(ws);
    const outside = makeOutside('tree');
    const { outcomes, damagedAt, left } = await race(ws, 'top/a', outside, 'top');
    assert.equal(
      damagedAt,
      undefined,
      `outside lost files at attempt ${damagedAt}: ${JSON.stringify({ outcomes, left })}`,
    );
    assert.ok((outcomes.deleted ?? 0) > 0, JSON.stringify(outcomes));
  });

  it('a parent found a symlink at the open (swapped after the checks): refused as SCOPE_VIOLATION', async () => {
    // The moment between fs.delete's checks and its open, held still: the parent handed to the removal is a
    // symlink to outside. Linux answers its O_NOFOLLOW folder open with ENOTDIR, not ELOOP.
    const ws = join(tmp.path, 'parent-ws');
    mkdirSync(ws);
    const outside = makeOutside('parent');
    symlinkSync(outside, join(ws, 'a'));
    await assert.rejects(
      removeInside({ absolute: join(ws, 'a'), workspace: ws }, 'victim', 'a/victim', true),
      (err: unknown) => err instanceof NightshiftError && err.code === 'SCOPE_VIOLATION',
    );
    assert.ok(existsSync(join(outside, 'victim', 'keep.txt')));
  });
});
