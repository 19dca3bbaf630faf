// The built-in fs tools are confined to the workspace whatever path the model gives: checked on disk,
// from outside, with real symlinks, fifos and devices.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs, {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SYNC_ENTRIES } from '../../src/tools/builtin/fs-list.js';
import { MAX_FOLDERS } from '../../src/tools/builtin/fs-search.js';
import { WRITE_LIMIT } from '../../src/tools/builtin/fs-write.js';
import { fsDelete, fsEdit, fsList, fsRead, fsSearch, fsWrite } from '../../src/tools/builtin/index.js';
import type { AnyTool } from '../../src/tools/types.js';
import { isIdempotent } from '../../src/tools/types.js';
import { scopeContext, testRole, toolContext } from '../support/role.js';
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

const role = testRole({ workspace: ws });
const ctx = () => toolContext(role);

/** Parses the arguments as the engine does, then runs the tool. */
async function run(tool: AnyTool, args: unknown, r = role): Promise<Record<string, unknown>> {
  return tool.run(tool.input.parse(args), toolContext(r));
}

async function scopeOf(tool: AnyTool, args: unknown, r = role) {
  return tool.scope!(tool.input.parse(args), scopeContext(r));
}

/** Everything under `outside`, to show afterwards that nothing appeared or changed there. */
function outsideTree(): Record<string, string> {
  const tree: Record<string, string> = {};
  for (const name of readdirSync(outside, { recursive: true }) as string[]) {
    const p = join(outside, name);
    tree[name] = lstatSync(p).isFile() ? readFileSync(p, 'utf8') : '<not a file>';
  }
  return tree;
}

describe('fs.read', () => {
  it('reads a file inside the workspace', async () => {
    assert.deepEqual(await run(fsRead, { path: 'docs/a.txt' }), {
      path: 'docs/a.txt',
      content: 'inside',
      bytes: 6,
      truncated: false,
    });
  });

  it('follows a symlink that stays inside', async () => {
    // Escalation rules see the path it really reads (ScopeVerdict.canonical).
    assert.deepEqual(await scopeOf(fsRead, { path: 'alias.txt' }), {
      kind: 'inside',
      canonical: { path: 'docs/a.txt' },
    });
    assert.equal((await run(fsRead, { path: 'alias.txt' })).content, 'inside');
  });

  it('refuses a file over 1 MiB, and reads its beginning when given maxBytes', async () => {
    writeFileSync(join(ws, 'big.bin'), Buffer.alloc(1024 * 1024 + 1, 'x'));
    await assert.rejects(
      run(fsRead, { path: 'big.bin' }),
      /'big.bin' is 1048577 bytes, over the 1048576-byte read limit; pass maxBytes to read its beginning/,
    );
    assert.deepEqual(await run(fsRead, { path: 'big.bin', maxBytes: 4 }), {
      path: 'big.bin',
      content: 'xxxx',
      bytes: 1024 * 1024 + 1,
      truncated: true,
    });
    assert.equal(fsRead.input.safeParse({ path: 'big.bin', maxBytes: 1024 * 1024 + 1 }).success, false);
  });

  it('does not cut a character in half at maxBytes', async () => {
    writeFileSync(join(ws, 'accents.txt'), 'ééé');
    const r = await run(fsRead, { path: 'accents.txt', maxBytes: 3 });
    assert.equal(r.content, 'é');
    assert.equal(r.truncated, true);
  });

  it('refuses a fifo (not a regular file) without blocking', async () => {
    execFileSync('mkfifo', [join(ws, 'pipe')]);
    assert.deepEqual(await scopeOf(fsRead, { path: 'pipe' }), {
      kind: 'inside',
      canonical: { path: 'pipe' },
    });
    await assert.rejects(run(fsRead, { path: 'pipe' }), /'pipe' is a fifo, not a regular file/);
  });

  it('refuses /dev/zero through a symlink: it is outside', async () => {
    const verdict = await scopeOf(fsRead, { path: 'zero' });
    assert.equal(verdict.kind, 'outside');
    await assert.rejects(run(fsRead, { path: 'zero' }), { code: 'SCOPE_VIOLATION' });
  });

  it('refuses a device node inside the workspace, before opening it', async (t) => {
    try {
      execFileSync('mknod', [join(ws, 'null-device'), 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      t.skip('mknod is not permitted here (needs CAP_MKNOD)');
      return;
    }
    await assert.rejects(
      run(fsRead, { path: 'null-device' }),
      /'null-device' is a device, not a regular file/,
    );
    rmSync(join(ws, 'null-device'));
  });

  it('says what is wrong with a folder or a missing file', async () => {
    await assert.rejects(run(fsRead, { path: 'docs' }), /'docs' is a folder, not a regular file/);
    await assert.rejects(
      run(fsRead, { path: 'docs/missing.txt' }),
      /no file 'docs\/missing.txt' in the workspace/,
    );
  });
});

describe('fs.list', () => {
  mkdirSync(join(ws, 'listing', 'c'), { recursive: true });
  for (const name of ['b.txt', 'a.txt', 'Z.txt']) writeFileSync(join(ws, 'listing', name), name);
  writeFileSync(join(ws, 'listing', 'c', 'inner.txt'), '12345');
  symlinkSync(join(ws, 'docs'), join(ws, 'listing', 'd'));

  it('lists a folder sorted by name, with types and sizes', async () => {
    assert.deepEqual(await run(fsList, { path: 'listing' }), {
      path: 'listing',
      entries: [
        { name: 'Z.txt', type: 'file', size: 5 },
        { name: 'a.txt', type: 'file', size: 5 },
        { name: 'b.txt', type: 'file', size: 5 },
        { name: 'c', type: 'dir', size: 0 },
        { name: 'd', type: 'symlink', size: 0 },
      ],
      truncated: false,
    });
  });

  it('lists sub-folders when recursive, without following symlinked folders', async () => {
    const r = await run(fsList, { path: 'listing', recursive: true });
    assert.deepEqual(
      (r.entries as { name: string }[]).map((e) => e.name),
      ['Z.txt', 'a.txt', 'b.txt', 'c', 'c/inner.txt', 'd'],
    );
  });

  it('lists the workspace by default', async () => {
    const r = await run(fsList, {});
    assert.equal(r.path, '.');
    assert.ok((r.entries as { name: string }[]).some((e) => e.name === 'docs'));
  });

  it('stops at 1000 entries and says so', async () => {
    mkdirSync(join(ws, 'many'));
    for (let i = 0; i < 1000; i++) writeFileSync(join(ws, 'many', `f${String(i).padStart(4, '0')}`), '');
    const full = await run(fsList, { path: 'many' });
    assert.equal((full.entries as unknown[]).length, 1000);
    assert.equal(full.truncated, false);
    writeFileSync(join(ws, 'many', 'one-more'), '');
    const over = await run(fsList, { path: 'many' });
    assert.equal((over.entries as unknown[]).length, 1000);
    assert.equal(over.truncated, true);
  });

  // The first entries of a listing are read with synchronous calls, the rest off the loop (fs-list.ts):
  // one listing that crosses from one to the other, and a folder past one block, gives every size.
  it('gives every file its size when a listing goes on past its synchronous budget', async () => {
    const expected: string[] = [];
    for (let f = 0; f < 12; f++) {
      const folder = `deep/f${String(f).padStart(2, '0')}`;
      mkdirSync(join(ws, folder), { recursive: true });
      expected.push(`f${String(f).padStart(2, '0')}`);
      for (let i = 0; i < 15; i++) {
        const name = `n${String(i).padStart(2, '0')}.txt`;
        writeFileSync(join(ws, folder, name), 'x'.repeat(f * 15 + i));
        expected.push(`f${String(f).padStart(2, '0')}/${name}`);
      }
    }
    const r = await run(fsList, { path: 'deep', recursive: true });
    const entries = r.entries as { name: string; type: string; size: number }[];
    assert.deepEqual(
      entries.map((e) => e.name),
      expected,
    );
    for (const e of entries.filter((e) => e.type === 'file')) {
      const [f, i] = e.name.match(/\d+/g)!.map(Number) as [number, number];
      assert.equal(e.size, f * 15 + i, e.name);
    }
    const many = await run(fsList, { path: 'many' });
    assert.ok((many.entries as { size: number }[]).every((e) => e.size === 0));
  });

  // A folder's st_size does not bound its entries (ZFS, FUSE, overlayfs): what is read synchronously is
  // counted entry by entry. Counted from outside: every entry a synchronous directory read of node:fs
  // returns (readdirSync, Dir.readSync), on the real file system.
  it('reads at most its synchronous budget of entries with synchronous calls, whatever the folder holds', async () => {
    mkdirSync(join(ws, 'budget'));
    const names: string[] = [];
    for (let i = 0; i < 200; i++) names.push(`w${String(i).padStart(3, '0')}`);
    for (const n of names) writeFileSync(join(ws, 'budget', n), n);
    // Small enough that a folder read was taken as one block's worth (the check this replaced).
    assert.ok(lstatSync(join(ws, 'budget')).size <= 4096, `${lstatSync(join(ws, 'budget')).size}`);
    const fds = readdirSync('/proc/self/fd').length;
    let synchronous = 0;
    const { readdirSync: realReaddirSync } = fs;
    const realReadSync = fs.Dir.prototype.readSync;
    fs.readdirSync = ((...args: Parameters<typeof realReaddirSync>) => {
      const out = realReaddirSync(...args);
      synchronous += out.length;
      return out;
    }) as typeof realReaddirSync;
    fs.Dir.prototype.readSync = function (this: fs.Dir) {
      const out = realReadSync.call(this);
      if (out !== null) synchronous++;
      return out;
    };
    syncBuiltinESMExports();
    try {
      const r = await run(fsList, { path: 'budget' });
      assert.deepEqual(
        (r.entries as { name: string; size: number }[]).map((e) => [e.name, e.size]),
        names.map((n) => [n, 4]),
      );
      assert.equal(r.truncated, false);
    } finally {
      fs.readdirSync = realReaddirSync;
      fs.Dir.prototype.readSync = realReadSync;
      syncBuiltinESMExports();
    }
    assert.ok(synchronous > 0 && synchronous <= SYNC_ENTRIES, `${synchronous} entries read synchronously`);
    // The folder's handle is closed.
    assert.equal(readdirSync('/proc/self/fd').length, fds);
  });

  it('says what is wrong with a file or a missing folder', async () => {
    await assert.rejects(run(fsList, { path: 'docs/a.txt' }), /'docs\/a.txt' is not a folder/);
    await assert.rejects(run(fsList, { path: 'nope' }), /no folder 'nope' in the workspace/);
  });
});

describe('fs.write', () => {
  it('creates folders, overwrites, appends, and reports what it wrote', async () => {
    assert.deepEqual(await run(fsWrite, { path: 'new/deep/b.txt', content: 'hé' }), {
      path: 'new/deep/b.txt',
      bytes: 3,
      mode: 'overwrite',
    });
    assert.equal(readFileSync(join(ws, 'new', 'deep', 'b.txt'), 'utf8'), 'hé');
    await run(fsWrite, { path: 'new/deep/b.txt', content: '!', mode: 'append' });
    await run(fsWrite, { path: 'new/deep/b.txt', content: '!', mode: 'append' });
    assert.equal(readFileSync(join(ws, 'new', 'deep', 'b.txt'), 'utf8'), 'hé!!');
    await run(fsWrite, { path: 'new/deep/b.txt', content: 'v2' });
    await run(fsWrite, { path: 'new/deep/b.txt', content: 'v2' });
    assert.equal(readFileSync(join(ws, 'new', 'deep', 'b.txt'), 'utf8'), 'v2');
  });

  it('create: makes a new file; succeeds again when the file holds the same content; refuses other content', async () => {
    const args = { path: 'made.txt', content: 'once', mode: 'create' };
    assert.deepEqual(await run(fsWrite, args), { path: 'made.txt', bytes: 4, mode: 'create' });
    assert.deepEqual(await run(fsWrite, args), { path: 'made.txt', bytes: 4, mode: 'create' });
    await assert.rejects(
      run(fsWrite, { ...args, content: 'other' }),
      /'made.txt' already exists \(mode: create\); use mode overwrite to replace it/,
    );
    assert.equal(readFileSync(join(ws, 'made.txt'), 'utf8'), 'once');
  });

  // Each call was bounded, the file was not: appends grew it past what fs.edit and fs.read handle.
  it('refuses an append that would leave the file over the write limit, and leaves the file as it was', async () => {
    const big = 'x'.repeat(WRITE_LIMIT - 3);
    await run(fsWrite, { path: 'grown.txt', content: big });
    await run(fsWrite, { path: 'grown.txt', content: 'abc', mode: 'append' });
    await assert.rejects(run(fsWrite, { path: 'grown.txt', content: 'd', mode: 'append' }), {
      code: 'TOOL_CALL_INVALID',
      message: new RegExp(`appending 1 bytes to 'grown.txt' \\(${WRITE_LIMIT} bytes\\) would leave it over`),
    });
    assert.equal(statSync(join(ws, 'grown.txt')).size, WRITE_LIMIT);
    // Overwriting is bounded by the call alone.
    await run(fsWrite, { path: 'grown.txt', content: 'small' });
    await run(fsWrite, { path: 'grown.txt', content: '!', mode: 'append' });
    assert.equal(readFileSync(join(ws, 'grown.txt'), 'utf8'), 'small!');
  });

  // Each append checked the size before any of them wrote: six at once from 20 bytes under the limit all
  // passed, leaving the file 28 bytes over it. Calls on one file now take turns (file-turns.ts).
  it('holds the write limit against appends made at the same moment, and refuses only the ones past it', async () => {
    await run(fsWrite, { path: 'racing.txt', content: 'x'.repeat(WRITE_LIMIT - 20) });
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        run(fsWrite, { path: 'racing.txt', content: '12345678', mode: 'append' }),
      ),
    );
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(refused.length, 4);
    for (const r of refused) assert.match(String(r.reason), /would leave it over the \d+-byte write limit/);
    assert.equal(statSync(join(ws, 'racing.txt')).size, WRITE_LIMIT - 4);
  });

  // Both edits read the file before either wrote it, so the second write put back the text the first had
  // replaced: two parallel edits of one file, each told it succeeded, and one of them lost.
  it('keeps both of two edits made to one file at the same moment', async () => {
    writeFileSync(join(ws, 'both.txt'), 'alpha beta gamma');
    const [a, b, c] = await Promise.all([
      run(fsEdit, { path: 'both.txt', old: 'alpha', new: 'ALPHA' }),
      run(fsEdit, { path: 'both.txt', old: 'beta', new: 'BETA' }),
      run(fsWrite, { path: 'both.txt', content: ' delta', mode: 'append' }),
    ]);
    assert.deepEqual([a.replaced, b.replaced, c.bytes], [1, 1, 6]);
    assert.equal(readFileSync(join(ws, 'both.txt'), 'utf8'), 'ALPHA BETA gamma delta');
  });

  it('declares overwrite and create idempotent, append not (a re-run would append twice)', () => {
    assert.equal(isIdempotent(fsWrite, { path: 'a', content: 'x' }), true);
    assert.equal(isIdempotent(fsWrite, { path: 'a', content: 'x', mode: 'create' }), true);
    assert.equal(isIdempotent(fsWrite, { path: 'a', content: 'x', mode: 'append' }), false);
    assert.equal(isIdempotent(fsRead, { path: 'a' }), true);
    assert.equal(isIdempotent(fsList, {}), true);
  });

  it('refuses a path that names a folder, or goes through a file', async () => {
    for (const path of ['docs/', 'docs/.', '.', 'new/..']) {
      await assert.rejects(run(fsWrite, { path, content: 'x' }), /names a folder/, path);
    }
    await assert.rejects(
      run(fsWrite, { path: 'docs', content: 'x' }),
      /'docs' is a folder, not a regular file/,
    );
    await assert.rejects(
      run(fsWrite, { path: 'docs/a.txt/x.txt', content: 'x' }),
      /'docs\/a.txt' is not a folder/,
    );
    assert.equal(readFileSync(join(ws, 'docs', 'a.txt'), 'utf8'), 'inside');
  });

  it('refuses a path too long for the file system before making any folder', async () => {
    // 1,500 folders of 'long/' (7,500 bytes): the file system refuses it part-way down, which left the
    // folders made until then behind; and one name over 255 bytes under a new folder.
    const deep = `${'long/'.repeat(1500)}x.txt`;
    await assert.rejects(run(fsWrite, { path: deep, content: 'x' }), /the path is \d+ bytes long/);
    assert.equal(existsSync(join(ws, 'long')), false, 'no folder was left behind');
    await assert.rejects(
      run(fsWrite, { path: `wide/${'n'.repeat(300)}.txt`, content: 'x' }),
      /a name in it is 304 bytes long; the file system takes at most 255/,
    );
    assert.equal(existsSync(join(ws, 'wide')), false, 'no folder was left behind');
  });
});

describe('the fs tools refuse to leave the workspace', () => {
  const before = outsideTree();
  const cases: [string, AnyTool, Record<string, unknown>, RegExp][] = [
    ['.. escape (read)', fsRead, { path: '../outside/secret.txt' }, /leaves the workspace/],
    ['.. escape (list)', fsList, { path: '..' }, /leaves the workspace/],
    ['.. escape (write)', fsWrite, { path: 'docs/../../x.txt', content: 'x' }, /leaves the workspace/],
    ['absolute path (read)', fsRead, { path: join(outside, 'secret.txt') }, /is absolute/],
    ['absolute path (write)', fsWrite, { path: join(outside, 'planted.txt'), content: 'x' }, /is absolute/],
    [
      'symlinked file pointing out',
      fsRead,
      { path: 'leak.txt' },
      /through a symlink to .*outside the workspace/,
    ],
    ['symlinked dir pointing out (read)', fsRead, { path: 'out-dir/secret.txt' }, /through a symlink/],
    ['symlinked dir pointing out (list)', fsList, { path: 'out-dir' }, /through a symlink/],
    [
      'symlinked dir pointing out (write)',
      fsWrite,
      { path: 'out-dir/planted.txt', content: 'x' },
      /through a symlink/,
    ],
    [
      'symlinked dir pointing out (write, new folders)',
      fsWrite,
      { path: 'out-dir/new/deep/planted.txt', content: 'x' },
      /through a symlink/,
    ],
    [
      'overwriting a symlinked file pointing out',
      fsWrite,
      { path: 'leak.txt', content: 'x' },
      /is a symlink/,
    ],
    [
      'appending to a symlinked file pointing out',
      fsWrite,
      { path: 'leak.txt', content: 'x', mode: 'append' },
      /is a symlink/,
    ],
    ['writing through a symlink inside', fsWrite, { path: 'alias.txt', content: 'x' }, /is a symlink/],
    ['NUL byte', fsRead, { path: 'docs/a.txt\0.png' }, /NUL/],
  ];
  for (const [name, tool, args, reason] of cases) {
    it(`${name}: out of scope, and run() refuses too`, async () => {
      const verdict = await scopeOf(tool, args);
      assert.equal(verdict.kind, 'outside');
      assert.match((verdict as { reason: string }).reason, reason);
      await assert.rejects(run(tool, args), { code: 'SCOPE_VIOLATION', message: reason });
    });
  }

  it('changed nothing outside (checked from outside)', () => {
    assert.deepEqual(outsideTree(), before);
    assert.equal(existsSync(join(tmp.path, 'x.txt')), false);
    assert.equal(readFileSync(join(ws, 'docs', 'a.txt'), 'utf8'), 'inside');
  });

  it('a role without a workspace may not use them, and each refusal names its tool', async () => {
    const bare = testRole({ workspace: undefined });
    for (const [tool, args] of [
      [fsRead, { path: 'a' }],
      [fsList, {}],
      [fsWrite, { path: 'a', content: 'x' }],
    ] as const) {
      const reason = `role has no workspace; ${tool.name} needs one (set workspace: in the role file)`;
      assert.deepEqual(await scopeOf(tool, args, bare), { kind: 'outside', reason });
      await assert.rejects(run(tool, args, bare), { code: 'SCOPE_VIOLATION', message: reason });
    }
  });

  it('a workspace folder that does not exist is refused, not created', async () => {
    const gone = testRole({ workspace: join(tmp.path, 'no-such-ws') });
    const verdict = await scopeOf(fsWrite, { path: 'a.txt', content: 'x' }, gone);
    assert.match(
      (verdict as { reason: string }).reason,
      /no-such-ws does not exist, so fs\.write cannot work in it/,
    );
    await assert.rejects(run(fsWrite, { path: 'a.txt', content: 'x' }, gone), { code: 'SCOPE_VIOLATION' });
    assert.equal(existsSync(join(tmp.path, 'no-such-ws')), false);
  });

  it('a file replaced by a symlink between the scope check and run() is not written through', async () => {
    writeFileSync(join(ws, 'race.txt'), 'before');
    const args = fsWrite.input.parse({ path: 'race.txt', content: 'x' });
    assert.equal((await fsWrite.scope!(args, scopeContext(role))).kind, 'inside');
    rmSync(join(ws, 'race.txt'));
    symlinkSync(join(outside, 'race-target.txt'), join(ws, 'race.txt'));
    await assert.rejects(Promise.resolve(fsWrite.run(args, ctx())), { code: 'SCOPE_VIOLATION' });
    assert.equal(existsSync(join(outside, 'race-target.txt')), false);
    rmSync(join(ws, 'race.txt'));
  });

  it('a folder replaced by a symlink between the scope check and run() is not written through', async () => {
    mkdirSync(join(ws, 'racing'));
    const args = fsWrite.input.parse({ path: 'racing/f.txt', content: 'x' });
    assert.equal((await fsWrite.scope!(args, scopeContext(role))).kind, 'inside');
    rmSync(join(ws, 'racing'), { recursive: true });
    symlinkSync(outside, join(ws, 'racing'));
    await assert.rejects(Promise.resolve(fsWrite.run(args, ctx())), { code: 'SCOPE_VIOLATION' });
    assert.equal(existsSync(join(outside, 'f.txt')), false);
  });

  it('refuses to write a file with a hard link (it may live outside)', async () => {
    writeFileSync(join(outside, 'target.txt'), 'original');
    linkSync(join(outside, 'target.txt'), join(ws, 'hard.txt'));
    for (const mode of ['overwrite', 'append'])
      await assert.rejects(run(fsWrite, { path: 'hard.txt', content: 'x', mode }), /hard links/);
    assert.equal(readFileSync(join(outside, 'target.txt'), 'utf8'), 'original');
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

  // localeCompare put `a.txt` before `B.txt` (and followed the process's locale); fs.list puts `B` first.
  it('searches each folder in the order fs.list lists it, by code unit, whatever the locale', async () => {
    mkdirSync(join(ws, 'cased'));
    for (const name of ['a.txt', 'B.txt', '_c.txt', 'Z.txt']) writeFileSync(join(ws, 'cased', name), 'pin\n');
    const listed = await run(fsList, { path: 'cased' });
    const order = (listed.entries as { name: string }[]).map((e) => `cased/${e.name}`);
    assert.deepEqual(order, ['cased/B.txt', 'cased/Z.txt', 'cased/_c.txt', 'cased/a.txt']);
    const found = await run(fsSearch, { pattern: 'pin', path: 'cased' });
    assert.deepEqual(
      (found.matches as { path: string }[]).map((m) => m.path),
      order,
    );
    const cut = await run(fsSearch, { pattern: 'pin', path: 'cased', maxResults: 2 });
    assert.deepEqual(
      (cut.matches as { path: string }[]).map((m) => m.path),
      order.slice(0, 2),
    );
  });

  it('stops at maxResults and says so, also when the cut falls in the last file it reads', async () => {
    mkdirSync(join(ws, 'many-hits'));
    writeFileSync(join(ws, 'many-hits', 'only.txt'), 'hit 1\nhit 2\nhit 3\nhit 4\nhit 5\n');
    const cut = await run(fsSearch, { pattern: 'hit', path: 'many-hits', maxResults: 3 });
    assert.deepEqual(
      (cut.matches as { line: number }[]).map((m) => m.line),
      [1, 2, 3],
    );
    assert.equal(cut.truncated, true);
    const whole = await run(fsSearch, { pattern: 'hit', path: 'many-hits', maxResults: 5 });
    assert.equal((whole.matches as unknown[]).length, 5);
    assert.equal(whole.truncated, false);
  });

  // Files alone bounded nothing in a tree of empty folders: such a tree was walked to its end.
  it('stops after MAX_FOLDERS folders and says so, also when they hold no file', async () => {
    const tree = join(ws, 'many-folders');
    mkdirSync(tree);
    // With the folder the call names, MAX_FOLDERS folders: all read, nothing left out.
    for (let i = 0; i < MAX_FOLDERS - 1; i++) mkdirSync(join(tree, `d${String(i).padStart(4, '0')}`));
    writeFileSync(join(tree, 'd4998', 'last.txt'), 'needle in the last folder');
    const whole = await run(fsSearch, { pattern: 'needle', path: 'many-folders' });
    assert.deepEqual(whole, {
      matches: [{ path: 'many-folders/d4998/last.txt', line: 1, text: 'needle in the last folder' }],
      truncated: false,
      skipped: 0,
    });
    // One more folder, read before the last one: the walk ends there, and says it was cut.
    mkdirSync(join(tree, 'd0000', 'one-more'));
    const cut = await run(fsSearch, { pattern: 'needle', path: 'many-folders' });
    assert.deepEqual(cut, { matches: [], truncated: true, skipped: 0 });
    rmSync(tree, { recursive: true });
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

  it('refuses to edit a file with a hard link (it may live outside)', async () => {
    writeFileSync(join(outside, 'edit-target.txt'), 'original');
    linkSync(join(outside, 'edit-target.txt'), join(ws, 'hard-edit.txt'));
    await assert.rejects(
      Promise.resolve(
        fsEdit.run(fsEdit.input.parse({ path: 'hard-edit.txt', old: 'original', new: 'x' }), ctx()),
      ),
      /hard links/,
    );
    assert.equal(readFileSync(join(outside, 'edit-target.txt'), 'utf8'), 'original');
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

describe('fs.search with a hostile regular expression', () => {
  it('stops a catastrophically backtracking pattern instead of blocking the process', async () => {
    writeFileSync(join(ws, 'redos.txt'), `${'a'.repeat(40)}!\n`);
    const t0 = Date.now();
    await assert.rejects(
      Promise.resolve(fsSearch.run(fsSearch.input.parse({ pattern: '^(a+)+$', regex: true }), ctx())),
      { code: 'TOOL_TIMEOUT', message: /took longer than 2000 ms/ },
    );
    assert.ok(Date.now() - t0 < 5000);
  });
});
