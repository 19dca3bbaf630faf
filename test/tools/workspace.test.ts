// Path confinement, checked on a real directory tree with real symlinks: what resolves, what is refused
// and why, and that a tree changed after the check still cannot lead a read or write outside.
import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import {
  type Confined,
  makeParents,
  openInside,
  resolveInside,
  workspaceScope,
} from '../../src/tools/workspace.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-workspace-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
const outside = join(tmp.path, 'outside');
// The real paths, computed here rather than taken from the code under test (macOS's /tmp is a symlink).
const wsReal = () => realpathSync(ws);
const outsideReal = () => realpathSync(outside);

mkdirSync(join(ws, 'docs', 'sub'), { recursive: true });
mkdirSync(outside);
writeFileSync(join(ws, 'docs', 'a.txt'), 'inside');
writeFileSync(join(outside, 'secret.txt'), 'secret');
symlinkSync(join(ws, 'docs', 'a.txt'), join(ws, 'alias.txt'));
symlinkSync('docs', join(ws, 'in-dir'));
symlinkSync(join(outside, 'secret.txt'), join(ws, 'leak.txt'));
symlinkSync(outside, join(ws, 'out-dir'));
symlinkSync(join(ws, 'nowhere'), join(ws, 'broken'));
symlinkSync(ws, join(tmp.path, 'ws-link'));

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function inside(r: Confined): string {
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.absolute.slice(wsReal().length + 1);
}

function reason(r: Confined): string {
  assert.ok(!r.ok, `expected a refusal, got ${r.ok ? r.absolute : ''}`);
  return r.reason;
}

describe('resolveInside: paths that stay inside', () => {
  const cases: [string, 'read' | 'write', string][] = [
    ['docs/a.txt', 'read', 'docs/a.txt'],
    ['./docs//a.txt', 'read', 'docs/a.txt'],
    ['docs/sub/../../docs/./a.txt', 'read', 'docs/a.txt'],
    ['new/deep/b.txt', 'write', 'new/deep/b.txt'],
    ['alias.txt', 'read', 'docs/a.txt'],
    ['in-dir/a.txt', 'read', 'docs/a.txt'],
    ['in-dir/a.txt', 'write', 'docs/a.txt'],
    ['in-dir/new/c.txt', 'write', 'docs/new/c.txt'],
  ];
  for (const [path, purpose, expected] of cases) {
    it(`${path} (${purpose}) resolves to ${expected}`, async () => {
      assert.equal(inside(await resolveInside(ws, path, purpose, 'fs.read')), expected.split('/').join(sep));
    });
  }

  it('the workspace itself is ".", and its real path is used when the role names it through a symlink', async () => {
    const r = await resolveInside(join(tmp.path, 'ws-link'), '.', 'read', 'fs.read');
    assert.deepEqual(r, { ok: true, absolute: wsReal(), workspace: wsReal() });
    const file = await resolveInside(join(tmp.path, 'ws-link'), 'docs/a.txt', 'read', 'fs.read');
    assert.ok(file.ok && file.absolute === join(wsReal(), 'docs', 'a.txt'));
  });
});

describe('resolveInside: paths refused, with a reason naming the path as given', () => {
  const cases: [string, string, 'read' | 'write', () => RegExp][] = [
    ['.. that leaves', '../x', 'read', () => /^path '\.\.\/x' leaves the workspace$/],
    ['.. deeper down', 'docs/../../x', 'write', () => /path 'docs\/\.\.\/\.\.\/x' leaves the workspace/],
    ['.. out and back in', '../ws/docs/a.txt', 'read', () => /leaves the workspace/],
    ['an absolute path', '/etc/passwd', 'read', () => /path '\/etc\/passwd' is absolute/],
    ['a drive path', 'C:\\x', 'read', () => /is absolute/],
    ['an empty path', '', 'read', () => /the path is empty/],
    ['a blank path', '  ', 'write', () => /the path is empty/],
    ['a NUL byte', 'docs/a.txt\0.png', 'read', () => /^the path contains a NUL byte$/],
    [
      'a symlinked file pointing out',
      'leak.txt',
      'read',
      () =>
        new RegExp(
          `^'leak.txt' resolves through a symlink to ${literal(outsideReal())}/secret.txt, outside the workspace$`,
        ),
    ],
    [
      'a symlinked folder pointing out (write)',
      'out-dir/new/x.txt',
      'write',
      () =>
        new RegExp(
          `'out-dir/new/x.txt' resolves through a symlink to ${literal(outsideReal())}, outside the workspace`,
        ),
    ],
    ['a symlinked folder pointing out (read)', 'out-dir/secret.txt', 'read', () => /outside the workspace/],
    ['a write through a symlink that stays inside', 'alias.txt', 'write', () => /'alias.txt' is a symlink/],
    ['a broken symlink', 'broken', 'read', () => /'broken' goes through a broken symlink \(ENOENT\)/],
    ['a path under a broken symlink', 'broken/x.txt', 'write', () => /broken symlink/],
  ];
  for (const [name, path, purpose, expected] of cases) {
    it(`${name}: ${JSON.stringify(path)} (${purpose})`, async () => {
      assert.match(reason(await resolveInside(ws, path, purpose, 'fs.read')), expected());
      assert.deepEqual(await workspaceScope(ws, path, purpose, 'fs.read'), {
        kind: 'outside',
        reason: reason(await resolveInside(ws, path, purpose, 'fs.read')),
      });
    });
  }

  it('a role without a workspace: the reason names the tool that needs one', async () => {
    assert.deepEqual(await workspaceScope(undefined, 'a.txt', 'read', 'fs.search'), {
      kind: 'outside',
      reason: 'role has no workspace; fs.search needs one (set workspace: in the role file)',
    });
  });

  it('a workspace folder that does not exist: the reason names the tool', async () => {
    assert.match(
      reason(await resolveInside(join(tmp.path, 'gone'), 'a.txt', 'read', 'fs.list')),
      /^the workspace .*gone does not exist, so fs\.list cannot work in it; create it or fix workspace:/,
    );
  });

  it('says inside for a path that resolves, with the path as it will be used', async () => {
    assert.deepEqual(await workspaceScope(ws, 'docs/a.txt', 'read', 'fs.read'), {
      kind: 'inside',
      canonical: { path: 'docs/a.txt' },
    });
    assert.deepEqual(await workspaceScope(ws, './docs//x/../a.txt', 'read', 'fs.read'), {
      kind: 'inside',
      canonical: { path: 'docs/a.txt' },
    });
    assert.deepEqual(await workspaceScope(ws, '.', 'read', 'fs.read'), {
      kind: 'inside',
      canonical: { path: '.' },
    });
  });
});

describe('a tree changed after the check', () => {
  it('O_NOFOLLOW: a file swapped for a symlink after the check is neither written nor read', async () => {
    const where = await resolveInside(ws, 'swap.txt', 'write', 'fs.write');
    assert.ok(where.ok);
    symlinkSync(join(outside, 'swap-target.txt'), join(ws, 'swap.txt'));
    for (const purpose of ['overwrite', 'append', 'read'] as const) {
      await assert.rejects(openInside(where, 'swap.txt', purpose), {
        code: 'SCOPE_VIOLATION',
        message: /'swap.txt' became a symlink after it was checked/,
      });
    }
    // O_EXCL refuses any existing name, a symlink included, without following it.
    await assert.rejects(openInside(where, 'swap.txt', 'create'), { code: 'EEXIST' });
    assert.equal(existsSync(join(outside, 'swap-target.txt')), false);
  });

  it('a parent folder swapped for a symlink after the check: the opened file is found outside, untouched', async () => {
    mkdirSync(join(ws, 'moving'));
    writeFileSync(join(ws, 'moving', 'f.txt'), 'mine');
    mkdirSync(join(outside, 'victim'));
    writeFileSync(join(outside, 'victim', 'f.txt'), 'original');
    const where = await resolveInside(ws, 'moving/f.txt', 'write', 'fs.write');
    assert.ok(where.ok);
    renameSync(join(ws, 'moving'), join(ws, 'moved'));
    symlinkSync(join(outside, 'victim'), join(ws, 'moving'));
    for (const purpose of ['overwrite', 'append', 'read'] as const) {
      await assert.rejects(openInside(where, 'moving/f.txt', purpose), {
        code: 'SCOPE_VIOLATION',
        message: /'moving\/f.txt' was redirected after it was checked/,
      });
    }
    assert.equal(readFileSync(join(outside, 'victim', 'f.txt'), 'utf8'), 'original');
  });

  it('makeParents refuses a missing folder that became a symlink, and creates nothing through it', async () => {
    const where = await resolveInside(ws, 'later/deep/x.txt', 'write', 'fs.write');
    assert.ok(where.ok);
    symlinkSync(outside, join(ws, 'later'));
    await assert.rejects(makeParents(where, 'later/deep/x.txt'), { code: 'SCOPE_VIOLATION' });
    assert.equal(existsSync(join(outside, 'deep')), false);
  });

  it('makeParents creates the missing folders, inside', async () => {
    const where = await resolveInside(ws, 'made/one/two/x.txt', 'write', 'fs.write');
    assert.ok(where.ok);
    await makeParents(where, 'made/one/two/x.txt');
    assert.deepEqual(readdirSync(join(ws, 'made', 'one')), ['two']);
  });
});

describe('property: whatever the path, a resolved path is inside the workspace', () => {
  // Its own tree, so other tests' changes do not matter: folders, a file, links inside and out.
  const root = join(tmp.path, 'prop');
  mkdirSync(join(root, 'a', 'a'), { recursive: true });
  writeFileSync(join(root, 'a', 'f'), 'x');
  symlinkSync(join(root, 'a'), join(root, 'link'));
  symlinkSync('..', join(root, 'a', 'up'));
  symlinkSync(outside, join(root, 'out'));
  symlinkSync(join(outside, 'secret.txt'), join(root, 'a', 'leak'));
  const segment = fc.constantFrom('a', '..', '.', '', 'link', 'up', 'out', 'leak', 'f', 'new');

  /** The real path of the deepest part of `path` that exists. */
  function realOfExisting(path: string): string {
    for (let p = path; ; p = dirname(p)) {
      if (existsSync(p)) return realpathSync(p);
    }
  }

  it('is inside the real workspace, and so is every existing part of it', async () => {
    const rootReal = realpathSync(root);
    const isInside = (p: string) => p === rootReal || p.startsWith(`${rootReal}${sep}`);
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 7 }),
        fc.constantFrom<'read' | 'write'>('read', 'write'),
        async (parts, purpose) => {
          const r = await resolveInside(root, parts.join('/'), purpose, 'fs.read');
          // An independent oracle for `..`: a path that steps above the root at any point is refused.
          let depth = 0;
          let stepsOut = false;
          for (const p of parts) {
            if (p === '..') depth--;
            else if (p !== '' && p !== '.') depth++;
            if (depth < 0) stepsOut = true;
          }
          if (stepsOut) assert.equal(r.ok, false);
          if (!r.ok) return r.reason.length > 0;
          return isInside(r.absolute) && isInside(realOfExisting(r.absolute));
        },
      ),
      { numRuns: 500 },
    );
  });
});
