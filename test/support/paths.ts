// Locates the repository root from a compiled test file, so fixtures resolve whatever the outDir.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'nightshift') return dir;
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

export const repoRoot = findRoot();
export const fixtures = (...parts: string[]) => join(repoRoot, 'test', 'fixtures', ...parts);
export const examples = (...parts: string[]) => join(repoRoot, 'examples', ...parts);
