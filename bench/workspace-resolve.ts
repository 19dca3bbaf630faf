// CPU per workspace confinement check of an fs tool call: the policy's scope check and the tool's own
// check (`workspaceScope` then `resolveInside`, as every fs.* call does), for `.` and for a nested path.
// CPU time (process.cpuUsage, thread pool included), not wall time: the machine is shared.
//
//   npm run build && node dist/bench/workspace-resolve.js [--calls 20000]
//   node dist/bench/workspace-resolve.js --tree /path/to/other/checkout   # the same, on another build
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tempDir } from '../test/support/tmp.js';

const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const CALLS = Number(arg('calls') ?? 20_000);
const tree = arg('tree');
type Workspace = typeof import('../src/tools/workspace.js');
const { resolveInside, workspaceScope }: Workspace = await import(
  tree ? resolve(tree, 'dist/src/tools/workspace.js') : '../src/tools/workspace.js'
);

const tmp = tempDir('nightshift-bench-workspace-');
const ws = join(tmp.path, 'ws');
mkdirSync(join(ws, 'a', 'b'), { recursive: true });
writeFileSync(join(ws, 'a', 'b', 'c.txt'), 'x');

try {
  for (const path of ['.', 'a/b/c.txt']) {
    const once = async () => {
      const verdict = await workspaceScope(ws, path, 'read', 'fs.read');
      const where = await resolveInside(ws, path, 'read', 'fs.read');
      if (verdict.kind !== 'inside' || !where.ok) throw new Error(`${path} was refused`);
    };
    for (let i = 0; i < 2000; i++) await once();
    const before = process.cpuUsage();
    for (let i = 0; i < CALLS; i++) await once();
    const used = process.cpuUsage(before);
    const us = (used.user + used.system) / CALLS;
    process.stdout.write(
      `${JSON.stringify({ tree: tree ?? '.', path, cpuUsPerCall: Math.round(us * 10) / 10 })}\n`,
    );
  }
} finally {
  tmp.cleanup();
}
