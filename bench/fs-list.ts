// CPU per fs.list call (the tool's run, its own confinement check included): an empty folder (the
// substrate bench's role lists its empty workspace three times a run), a folder of 20 files, and one of
// 1,000 files (past the synchronous budget: read off the loop). CPU time (process.cpuUsage, thread pool
// included), not wall time: the machine is shared.
//
//   npm run build && node dist/bench/fs-list.js [--calls 5000]
//   node dist/bench/fs-list.js --tree /path/to/other/checkout   # the same, on another build
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { testRole, toolContext } from '../test/support/role.js';
import { tempDir } from '../test/support/tmp.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const CALLS = Number(arg('calls') ?? 5_000);
const tree = arg('tree');
type Builtins = typeof import('../src/tools/builtin/index.js');
const { fsList }: Builtins = await import(
  tree ? resolve(tree, 'dist/src/tools/builtin/index.js') : '../src/tools/builtin/index.js'
);

const tmp = tempDir('nightshift-bench-fs-list-');
const ws = join(tmp.path, 'ws');
for (const [folder, files] of [
  ['empty', 0],
  ['twenty', 20],
  ['thousand', 1000],
] as const) {
  mkdirSync(join(ws, folder), { recursive: true });
  for (let i = 0; i < files; i++) writeFileSync(join(ws, folder, `f${i}.txt`), 'x'.repeat(i % 50));
}
const ctx = toolContext(testRole({ workspace: ws, tools: ['fs.list'] }));

try {
  for (const path of ['empty', 'twenty', 'thousand']) {
    const calls = path === 'thousand' ? Math.ceil(CALLS / 50) : CALLS;
    const once = () => fsList.run(fsList.input.parse({ path }), ctx);
    for (let i = 0; i < calls / 10; i++) await once();
    const before = process.cpuUsage();
    for (let i = 0; i < calls; i++) await once();
    const used = process.cpuUsage(before);
    const us = (used.user + used.system) / calls;
    process.stdout.write(
      `${JSON.stringify({ tree: tree ?? '.', path, cpuUsPerCall: Math.round(us * 10) / 10 })}\n`,
    );
  }
} finally {
  tmp.cleanup();
}
