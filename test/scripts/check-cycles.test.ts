// The import-cycle check (scripts/check-cycles.mjs): it finds cycles, marks type-only edges, and src/ has
// none. When the last test fails, its message lists each cycle as `a.ts --> b.ts -type-> a.ts`.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

interface Edge {
  from: string;
  to: string;
  typeOnly: boolean;
}
interface Cycle {
  modules: string[];
  cycle: Edge[];
}
const checker = (await import(pathToFileURL(join(repoRoot, 'scripts', 'check-cycles.mjs')).href)) as {
  findCycles(dir: string): Cycle[];
  formatCycles(cycles: Cycle[]): string;
};

const tmp = tempDir('nightshift-cycles-');
after(() => tmp.cleanup());

/** A tree of source files under a fresh folder; returns the folder. */
function tree(name: string, files: Record<string, string>): string {
  const root = join(tmp.path, name);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('the import-cycle check', () => {
  it('finds a cycle and marks the type-only edge', () => {
    const dir = tree('two', {
      'a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'b.ts': "import { c } from './sub/c.js';\nexport const b = c;\nexport type B = string;\n",
      'sub/c.ts': "export { b as c } from '../b.js';\n",
      'leaf.ts': "import type { A } from './a.js';\nexport type L = A;\n",
    });
    const cycles = checker.findCycles(dir);
    assert.equal(cycles.length, 1, checker.formatCycles(cycles));
    assert.deepEqual(cycles[0]?.modules, ['b.ts', 'sub/c.ts']);
    assert.equal(checker.formatCycles(cycles), '1 import cycle:\n- b.ts --> sub/c.ts --> b.ts');
  });

  it('counts type-only imports and lazy import() as edges', () => {
    const dir = tree('kinds', {
      'a.ts': "import { type B } from './b.js';\nexport type A = B;\n",
      'b.ts': "export type B = number;\nexport const load = () => import('./a.js');\n",
    });
    assert.equal(
      checker.formatCycles(checker.findCycles(dir)),
      '1 import cycle:\n- a.ts -type-> b.ts --> a.ts',
    );
  });

  it('reports nothing for a tree without cycles', () => {
    const dir = tree('clean', {
      'a.ts': "import { b } from './b.js';\nimport { z } from 'zod';\nexport const a = [b, z];\n",
      'b.ts': 'export const b = 1;\n',
    });
    assert.deepEqual(checker.findCycles(dir), []);
  });

  it('finds no import cycle in src/', () => {
    const cycles = checker.findCycles(join(repoRoot, 'src'));
    assert.equal(cycles.length, 0, checker.formatCycles(cycles));
  });
});
