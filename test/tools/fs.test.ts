// The built-in fs tools are confined to the workspace whatever path the model gives: checked on disk.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { fsDelete, fsEdit, fsList, fsRead, fsSearch, fsWrite } from '../../src/tools/builtin/index.js';
import { noSecrets } from '../../src/tools/secrets.js';
import type { AnyTool, ToolContext } from '../../src/tools/types.js';
import { isIdempotent } from '../../src/tools/types.js';
import { resolveInside } from '../../src/tools/workspace.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-fs-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
const outside = join(tmp.path, 'outside');
mkdirSync(join(ws, 'docs'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(ws, 'docs', 'a.txt'), 'inside');
writeFileSync(join(outside, 'secret.txt'), 'secret');
symlinkSync(join(outside, 'secret.txt'), join(ws, 'leak.txt'));
symlinkSync(outside, join(ws, 'out-dir'));
symlinkSync(join(ws, 'docs', 'a.txt'), join(ws, 'alias.txt'));
symlinkSync('/dev/zero', join(ws, 'zero'));

function ctx(workspace: string | undefined = ws): ToolContext {
  return {
    role: {} as never,
    secrets: noSecrets,
    runId: 'run_t',
    idempotencyKey: 'run_t:1:0',
    workspace,
    signal: new AbortController().signal,
  };
}

async function scopeOf(tool: AnyTool, args: unknown) {
  return tool.scope!(tool.input.parse(args), { role: {} as never, workspace: ws });
}

describe('fs tools inside the workspace', () => {
  it('reads, lists and writes', async () => {
    assert.equal((await fsRead.run(fsRead.input.parse({ path: 'docs/a.txt' }), ctx())).content, 'inside');
    const list = await fsList.run(fsList.input.parse({ path: 'docs' }), ctx());
    assert.deepEqual(list.entries, [{ name: 'a.txt', type: 'file', size: 6 }]);
    await fsWrite.run(fsWrite.input.parse({ path: 'new/deep/b.txt', content: 'hi' }), ctx());
    assert.equal(readFileSync(join(ws, 'new', 'deep', 'b.txt'), 'utf8'), 'hi');
    await fsWrite.run(fsWrite.input.parse({ path: 'new/deep/b.txt', content: '!', mode: 'append' }), ctx());
    assert.equal(readFileSync(join(ws, 'new', 'deep', 'b.txt'), 'utf8'), 'hi!');
    await assert.rejects(
      Promise.resolve(
        fsWrite.run(fsWrite.input.parse({ path: 'new/deep/b.txt', content: 'x', mode: 'create' }), ctx()),
      ),
      /already exists/,
    );
  });

  it('follows a symlink that stays inside for reads', async () => {
    assert.equal((await fsRead.run(fsRead.input.parse({ path: 'alias.txt' }), ctx())).content, 'inside');
    assert.deepEqual(await scopeOf(fsRead, { path: 'alias.txt' }), { kind: 'inside' });
  });

  it('declares overwrite idempotent and append / create not', () => {
    assert.equal(isIdempotent(fsWrite, { path: 'a', content: 'x' }), true);
    assert.equal(isIdempotent(fsWrite, { path: 'a', content: 'x', mode: 'append' }), false);
    assert.equal(isIdempotent(fsWrite, { path: 'a', content: 'x', mode: 'create' }), false);
  });
});

describe('fs tools refuse to leave the workspace', () => {
  const cases: [string, AnyTool, Record<string, unknown>, RegExp][] = [
    ['.. escape (read)', fsRead, { path: '../outside/secret.txt' }, /leaves the workspace/],
    ['.. escape (write)', fsWrite, { path: 'docs/../../x.txt', content: 'x' }, /leaves the workspace/],
    ['absolute path', fsRead, { path: join(outside, 'secret.txt') }, /is absolute/],
    [
      'symlinked file pointing out',
      fsRead,
      { path: 'leak.txt' },
      /through a symlink to .*outside the workspace/,
    ],
    [
      'symlinked dir pointing out (write)',
      fsWrite,
      { path: 'out-dir/planted.txt', content: 'x' },
      /through a symlink/,
    ],
    ['symlinked dir pointing out (list)', fsList, { path: 'out-dir' }, /through a symlink/],
    ['writing through a symlink inside', fsWrite, { path: 'alias.txt', content: 'x' }, /is a symlink/],
    ['a device file via a symlink', fsRead, { path: 'zero' }, /outside the workspace/],
    ['NUL byte', fsRead, { path: 'docs/a.txt\0.png' }, /NUL/],
  ];
  for (const [name, tool, args, reason] of cases) {
    it(`${name}: out of scope, and run() refuses too`, async () => {
      const verdict = await scopeOf(tool, args);
      assert.equal(verdict.kind, 'outside');
      assert.match((verdict as { reason: string }).reason, reason);
      await assert.rejects(Promise.resolve(tool.run(tool.input.parse(args), ctx())), {
        code: 'SCOPE_VIOLATION',
      });
    });
  }

  it('created nothing outside', () => {
    assert.equal(existsSync(join(outside, 'planted.txt')), false);
    assert.equal(existsSync(join(tmp.path, 'x.txt')), false);
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret');
  });

  it('a role without a workspace may not use fs tools', async () => {
    const verdict = await fsRead.scope!({ path: 'a' }, { role: {} as never, workspace: undefined });
    assert.equal(verdict.kind, 'outside');
  });

  it('does not write through a symlink swapped in after the check (O_NOFOLLOW)', async () => {
    const target = join(ws, 'race.txt');
    const args = fsWrite.input.parse({ path: 'race.txt', content: 'x' });
    assert.deepEqual(await fsWrite.scope!(args, { role: {} as never, workspace: ws }), { kind: 'inside' });
    symlinkSync(join(outside, 'race-target.txt'), target);
    await assert.rejects(Promise.resolve(fsWrite.run(args, ctx())), { code: 'SCOPE_VIOLATION' });
    assert.equal(existsSync(join(outside, 'race-target.txt')), false);
    rmSync(target);
  });

  it('refuses a fifo inside the workspace (not a regular file) without blocking', async () => {
    execFileSync('mkfifo', [join(ws, 'pipe')]);
    assert.deepEqual(await scopeOf(fsRead, { path: 'pipe' }), { kind: 'inside' });
    await assert.rejects(
      Promise.resolve(fsRead.run(fsRead.input.parse({ path: 'pipe' }), ctx())),
      /not a regular file/,
    );
  });

  it('refuses oversize files for reading', async () => {
    writeFileSync(join(ws, 'big.bin'), Buffer.alloc(1024 * 1024 + 1));
    await assert.rejects(
      Promise.resolve(fsRead.run(fsRead.input.parse({ path: 'big.bin' }), ctx())),
      /over the 1048576-byte read limit/,
    );
  });

  it('property: whenever a path resolves, it is inside the workspace', async () => {
    const segment = fc.constantFrom(
      'a',
      'b',
      '..',
      '.',
      '',
      'docs',
      'out-dir',
      'alias.txt',
      'leak.txt',
      'x y',
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 6 }),
        fc.constantFrom<'read' | 'write'>('read', 'write'),
        async (parts, purpose) => {
          const r = await resolveInside(ws, parts.join('/'), purpose);
          if (!r.ok) return true;
          return r.absolute === r.workspace || r.absolute.startsWith(`${r.workspace}/`);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('fs.search, fs.edit, fs.delete', () => {
  it('searches text in the workspace without following symlinks out', async () => {
    writeFileSync(join(ws, 'docs', 'b.md'), 'alpha\nneedle here\nomega\n');
    const found = await fsSearch.run(fsSearch.input.parse({ pattern: 'needle' }), ctx());
    assert.deepEqual(found.matches, [{ path: 'docs/b.md', line: 2, text: 'needle here' }]);
    const secret = await fsSearch.run(fsSearch.input.parse({ pattern: 'secret' }), ctx());
    assert.deepEqual(secret.matches, []);
    const re = await fsSearch.run(fsSearch.input.parse({ pattern: '^om', regex: true, path: 'docs' }), ctx());
    assert.deepEqual(
      re.matches.map((m) => m.path),
      ['docs/b.md'],
    );
  });

  it('edits exact text, refusing absent or ambiguous text', async () => {
    writeFileSync(join(ws, 'docs', 'c.txt'), 'one two two');
    await assert.rejects(
      Promise.resolve(fsEdit.run(fsEdit.input.parse({ path: 'docs/c.txt', old: 'three', new: '3' }), ctx())),
      /not found/,
    );
    await assert.rejects(
      Promise.resolve(fsEdit.run(fsEdit.input.parse({ path: 'docs/c.txt', old: 'two', new: '2' }), ctx())),
      /occurs 2 times/,
    );
    await fsEdit.run(fsEdit.input.parse({ path: 'docs/c.txt', old: 'one', new: '1' }), ctx());
    await fsEdit.run(fsEdit.input.parse({ path: 'docs/c.txt', old: 'two', new: '$&2', all: true }), ctx());
    assert.equal(readFileSync(join(ws, 'docs', 'c.txt'), 'utf8'), '1 $&2 $&2');
  });

  it('refuses to write or edit a file with a hard link (it may live outside)', async () => {
    writeFileSync(join(outside, 'target.txt'), 'original');
    linkSync(join(outside, 'target.txt'), join(ws, 'hard.txt'));
    await assert.rejects(
      Promise.resolve(fsWrite.run(fsWrite.input.parse({ path: 'hard.txt', content: 'x' }), ctx())),
      /hard links/,
    );
    await assert.rejects(
      Promise.resolve(fsEdit.run(fsEdit.input.parse({ path: 'hard.txt', old: 'original', new: 'x' }), ctx())),
      /hard links/,
    );
    assert.equal(readFileSync(join(outside, 'target.txt'), 'utf8'), 'original');
  });

  it('deletes inside; a symlink is removed itself, never its target; outside is refused', async () => {
    writeFileSync(join(ws, 'gone.txt'), 'x');
    assert.deepEqual(await fsDelete.run(fsDelete.input.parse({ path: 'gone.txt' }), ctx()), {
      path: 'gone.txt',
      deleted: true,
    });
    assert.deepEqual(await fsDelete.run(fsDelete.input.parse({ path: 'gone.txt' }), ctx()), {
      path: 'gone.txt',
      deleted: false,
    });
    symlinkSync(join(outside, 'secret.txt'), join(ws, 'link-to-secret'));
    await fsDelete.run(fsDelete.input.parse({ path: 'link-to-secret' }), ctx());
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret');
    for (const p of ['../outside/secret.txt', 'out-dir/secret.txt', '.', 'docs/..']) {
      const verdict = await scopeOf(fsDelete, { path: p });
      assert.equal(verdict.kind, 'outside', p);
      await assert.rejects(
        Promise.resolve(fsDelete.run(fsDelete.input.parse({ path: p }), ctx())),
        { code: 'SCOPE_VIOLATION' },
        p,
      );
    }
    assert.equal(readFileSync(join(outside, 'secret.txt'), 'utf8'), 'secret');
    await assert.rejects(
      Promise.resolve(fsDelete.run(fsDelete.input.parse({ path: 'docs' }), ctx())),
      /recursive/,
    );
  });
});
