// Hard links and swaps between check and open: fs.read and fs.search decide on the opened descriptor
// (O_NOFOLLOW, then fstat), never on a path checked earlier. The races are made deterministic by wrapping
// node:fs/promises so that the swap happens exactly between the tool's checks and its open.
import assert from 'node:assert/strict';
import {
  constants,
  linkSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { after, afterEach, describe, it } from 'node:test';
import { fsRead, fsSearch, fsWrite } from '../../src/tools/builtin/index.js';
import { testRole, toolContext } from '../support/role.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-fs-races-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
const outside = join(tmp.path, 'outside');
mkdirSync(ws);
mkdirSync(outside);
writeFileSync(join(outside, 'secret.txt'), 'TOP-SECRET payroll\n');
const role = testRole({ workspace: ws, tools: ['fs.read', 'fs.search', 'fs.write'] });
const ctx = () => toolContext(role);

type Opener = typeof fsp.open;
type Reader = typeof fsp.readFile;
const realOpen: Opener = fsp.open;
const realReadFile: Reader = fsp.readFile;
const opened: { path: string; flags: unknown }[] = [];

/**
 * Runs `swap` once, just before the first open (or whole-file read) of `path` by any code in this
 * process, then lets the call go on: the file changes after every check and before the open.
 */
function swapBeforeOpen(path: string, swap: () => void): void {
  let done = false;
  const maybeSwap = (p: unknown) => {
    if (!done && String(p) === path) {
      done = true;
      swap();
    }
  };
  fsp.open = ((p: Parameters<Opener>[0], flags?: Parameters<Opener>[1], mode?: Parameters<Opener>[2]) => {
    opened.push({ path: String(p), flags });
    maybeSwap(p);
    return realOpen(p, flags, mode);
  }) as Opener;
  fsp.readFile = ((p: Parameters<Reader>[0], options?: Parameters<Reader>[1]) => {
    maybeSwap(p);
    return realReadFile(p, options);
  }) as Reader;
  // ESM named imports of a builtin (`import { open } from 'node:fs/promises'`) follow the module object.
  syncBuiltinESMExports();
}

afterEach(() => {
  fsp.open = realOpen;
  fsp.readFile = realReadFile;
  syncBuiltinESMExports();
  opened.length = 0;
});

describe('a hard link made before the run', () => {
  it('fs.read refuses a file with a second name outside the workspace', async () => {
    linkSync(join(outside, 'secret.txt'), join(ws, 'notes.txt'));
    try {
      await assert.rejects(Promise.resolve(fsRead.run(fsRead.input.parse({ path: 'notes.txt' }), ctx())), {
        code: 'SCOPE_VIOLATION',
        message: /'notes\.txt' has 2 hard links; one may be a file outside the workspace/,
      });
    } finally {
      rmSync(join(ws, 'notes.txt'));
    }
  });

  it('fs.search skips it, and says it skipped a file', async () => {
    writeFileSync(join(ws, 'plain.txt'), 'nothing here\n');
    linkSync(join(outside, 'secret.txt'), join(ws, 'notes.txt'));
    try {
      const found = await fsSearch.run(fsSearch.input.parse({ pattern: 'TOP-SECRET' }), ctx());
      assert.deepEqual(found.matches, []);
      assert.equal(found.skipped, 1);
    } finally {
      rmSync(join(ws, 'notes.txt'));
      rmSync(join(ws, 'plain.txt'));
    }
  });
});

describe('a file swapped between the check and the open', () => {
  const target = join(ws, 'report.txt');
  const toSymlink = () => {
    rmSync(target);
    symlinkSync(join(outside, 'secret.txt'), target);
  };
  const toHardLink = () => {
    rmSync(target);
    linkSync(join(outside, 'secret.txt'), target);
  };
  // A parent folder swapped for a symlink to outside: the file's own name is then no symlink at all.
  const parentToSymlink = () => {
    renameSync(join(ws, 'sub'), join(tmp.path, 'old-sub'));
    mkdirSync(join(outside, 'sub'), { recursive: true });
    writeFileSync(join(outside, 'sub', 'report.txt'), 'TOP-SECRET in a folder\n');
    symlinkSync(join(outside, 'sub'), join(ws, 'sub'));
  };

  for (const [name, swap] of [
    ['a symlink to outside', toSymlink],
    ['a hard link to a file outside', toHardLink],
  ] as const) {
    it(`fs.search does not read a file that became ${name}`, async () => {
      writeFileSync(target, 'quarterly report\n');
      swapBeforeOpen(target, swap);
      try {
        const found = await fsSearch.run(fsSearch.input.parse({ pattern: 'TOP-SECRET' }), ctx());
        assert.deepEqual(found.matches, [], 'the secret was read through the swapped file');
        assert.equal(found.skipped, 1);
        const open = opened.find((o) => o.path === target);
        assert.ok(open, 'the file was opened by descriptor');
        assert.equal(
          Number(open.flags) & constants.O_NOFOLLOW,
          constants.O_NOFOLLOW,
          'opened with O_NOFOLLOW',
        );
      } finally {
        rmSync(target);
      }
    });

    it(`fs.read refuses a file that became ${name}`, async () => {
      writeFileSync(target, 'quarterly report\n');
      swapBeforeOpen(target, swap);
      try {
        await assert.rejects(Promise.resolve(fsRead.run(fsRead.input.parse({ path: 'report.txt' }), ctx())), {
          code: 'SCOPE_VIOLATION',
        });
      } finally {
        rmSync(target);
      }
    });
  }

  it('fs.search does not read a file whose folder became a symlink to outside', async () => {
    mkdirSync(join(ws, 'sub'));
    const inner = join(ws, 'sub', 'report.txt');
    writeFileSync(inner, 'quarterly report\n');
    swapBeforeOpen(inner, parentToSymlink);
    try {
      const found = await fsSearch.run(fsSearch.input.parse({ pattern: 'TOP-SECRET' }), ctx());
      assert.deepEqual(found.matches, []);
      assert.equal(found.skipped, 1);
    } finally {
      rmSync(join(ws, 'sub'));
      rmSync(join(tmp.path, 'old-sub'), { recursive: true });
    }
  });
});

describe('a write whose folder became a symlink to outside', () => {
  for (const mode of ['overwrite', 'create', 'append'] as const) {
    it(`fs.write (${mode}) is refused and leaves no file outside`, async () => {
      mkdirSync(join(ws, 'drop'));
      const inner = join(ws, 'drop', 'new.txt');
      const elsewhere = join(outside, `drop-${mode}`);
      mkdirSync(elsewhere);
      swapBeforeOpen(inner, () => {
        renameSync(join(ws, 'drop'), join(tmp.path, `old-drop-${mode}`));
        symlinkSync(elsewhere, join(ws, 'drop'));
      });
      try {
        await assert.rejects(
          Promise.resolve(
            fsWrite.run(fsWrite.input.parse({ path: 'drop/new.txt', content: 'model text', mode }), ctx()),
          ),
          { code: 'SCOPE_VIOLATION' },
        );
        // Before, the open's O_CREAT left an empty new.txt in the outside folder.
        assert.deepEqual(readdirSync(elsewhere), []);
      } finally {
        rmSync(join(ws, 'drop'));
        rmSync(join(tmp.path, `old-drop-${mode}`), { recursive: true });
      }
    });
  }

  it('an outside file that was already there is left alone', async () => {
    mkdirSync(join(ws, 'keep'));
    const elsewhere = join(outside, 'keep');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'new.txt'), '');
    swapBeforeOpen(join(ws, 'keep', 'new.txt'), () => {
      renameSync(join(ws, 'keep'), join(tmp.path, 'old-keep'));
      symlinkSync(elsewhere, join(ws, 'keep'));
    });
    try {
      await assert.rejects(
        Promise.resolve(fsWrite.run(fsWrite.input.parse({ path: 'keep/new.txt', content: 'x' }), ctx())),
        { code: 'SCOPE_VIOLATION' },
      );
      assert.deepEqual(readdirSync(elsewhere), ['new.txt']);
    } finally {
      rmSync(join(ws, 'keep'));
      rmSync(join(tmp.path, 'old-keep'), { recursive: true });
    }
  });
});
