// fs.write's overwrite and fs.edit replace a file whole: the new text is written beside it and renamed
// over it. Before, both truncated the file and wrote into it, so a worker killed in between left an empty
// or half-written file: for fs.edit (not idempotent, so the call's unknown outcome goes to a human) the
// text it was editing was gone. Checked with a real process killed with SIGKILL while it writes.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fsEdit, fsWrite } from '../../src/tools/builtin/index.js';
import type { AnyTool } from '../../src/tools/types.js';
import { testRole, toolContext } from '../support/role.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-whole-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(ws);
const role = testRole({ workspace: ws, tools: ['fs.read', 'fs.write', 'fs.edit'] });

async function run(tool: AnyTool, args: unknown): Promise<Record<string, unknown>> {
  return tool.run(tool.input.parse(args), toolContext(role));
}

/** Files in the workspace other than the ones named: what a write left behind. */
const strays = (...known: string[]) => readdirSync(ws).filter((name) => !known.includes(name));

// fs.edit reads at most 1 MiB; fs.write is given more, so that more kills land mid-write.
const SIZES = { write: 8 * 1024 * 1024, edit: 1024 * 1024 };

// The child overwrites (or edits) one file over and over, alternating two texts of SIZES bytes, and says
// "writing" before its first call, so the kill lands while calls are in progress.
const CHILD = `
import { fsEdit, fsWrite } from ${JSON.stringify(new URL('../../src/tools/builtin/index.js', import.meta.url).href)};
import { testRole, toolContext } from ${JSON.stringify(new URL('../support/role.js', import.meta.url).href)};
const [ws, how] = process.argv.slice(2);
const ctx = toolContext(testRole({ workspace: ws, tools: ['fs.write', 'fs.edit'] }));
const size = how === 'edit' ? ${SIZES.edit} : ${SIZES.write};
const texts = ['a'.repeat(size), 'b'.repeat(size)];
process.stdout.write('writing\\n');
for (let i = 1; ; i++) {
  if (how === 'edit') await fsEdit.run(fsEdit.input.parse({ path: 'f.txt', old: i % 2 ? 'a' : 'b', new: i % 2 ? 'b' : 'a', all: true }), ctx);
  else await fsWrite.run(fsWrite.input.parse({ path: 'f.txt', content: texts[i % 2] }), ctx);
}
`;

/** Starts the child, kills it with SIGKILL `afterMs` after it began writing, and waits for it to end. */
async function killWhileWriting(how: 'write' | 'edit', afterMs: number): Promise<void> {
  const script = join(tmp.path, 'child.mjs');
  writeFileSync(script, CHILD);
  const child = spawn(process.execPath, [script, ws, how], { stdio: ['ignore', 'pipe', 'inherit'] });
  const ended = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the child ended (${code}) before writing`)));
  });
  await sleep(afterMs);
  child.kill('SIGKILL');
  await ended;
}

describe('fs.write and fs.edit replace a file whole', () => {
  for (const how of ['write', 'edit'] as const) {
    it(`leaves the old text or the new, whole, when the process is killed during fs.${how}`, async () => {
      const whole = ['a'.repeat(SIZES[how]), 'b'.repeat(SIZES[how])];
      for (let kill = 0; kill < 12; kill++) {
        writeFileSync(join(ws, 'f.txt'), whole[0]!);
        await killWhileWriting(how, 20 + kill * 15);
        const text = readFileSync(join(ws, 'f.txt'), 'utf8');
        assert.ok(
          whole.includes(text),
          `kill ${kill}: the file holds ${text.length} bytes (${text.slice(0, 1)}…${text.slice(-1)}), not one text whole`,
        );
        // A kill between writing the new file and renaming it leaves that file; nothing else is left.
        for (const name of strays('f.txt')) assert.match(name, /^\.nightshift-[0-9a-f]{16}\.tmp$/);
      }
    });
  }

  it('keeps the permission bits of the file it replaces, without set-id bits', async () => {
    writeFileSync(join(ws, 'private.txt'), 'x');
    chmodSync(join(ws, 'private.txt'), 0o600);
    await run(fsWrite, { path: 'private.txt', content: 'new' });
    assert.equal(statSync(join(ws, 'private.txt')).mode & 0o7777, 0o600);
    writeFileSync(join(ws, 'tool.sh'), 'echo old');
    chmodSync(join(ws, 'tool.sh'), 0o4755);
    await run(fsEdit, { path: 'tool.sh', old: 'old', new: 'new' });
    assert.equal(readFileSync(join(ws, 'tool.sh'), 'utf8'), 'echo new');
    assert.equal(statSync(join(ws, 'tool.sh')).mode & 0o7777, 0o755);
  });

  it('leaves nothing beside the file, whether the call succeeds or fails', async () => {
    const before = readdirSync(ws);
    writeFileSync(join(ws, 'kept.txt'), 'one two');
    await run(fsWrite, { path: 'kept.txt', content: 'three' });
    await run(fsWrite, { path: 'fresh.txt', content: 'new file' });
    await assert.rejects(run(fsEdit, { path: 'kept.txt', old: 'absent', new: 'x' }), {
      code: 'TOOL_CALL_INVALID',
    });
    mkdirSync(join(ws, 'folder'));
    await assert.rejects(run(fsWrite, { path: 'folder', content: 'x' }), { code: 'TOOL_CALL_INVALID' });
    assert.deepEqual(readdirSync(ws).sort(), [...before, 'kept.txt', 'fresh.txt', 'folder'].sort());
    assert.equal(readFileSync(join(ws, 'kept.txt'), 'utf8'), 'three');
    assert.equal(readFileSync(join(ws, 'fresh.txt'), 'utf8'), 'new file');
  });
});
