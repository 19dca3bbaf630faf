// What `npm pack` ships works on its own: the tarball holds the built library, the CLI and the docs (no
// tests, no TypeScript sources); installed into a new project (offline, from the npm cache, at the
// versions this checkout locks), it runs a role with a JavaScript tool module through createRuntime and
// through the CLI with tsx deleted, so tsx is loaded only for .ts tool modules; and a .ts module without
// tsx fails with an error that says what to do.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/paths.js';

function npm(args: string[], cwd: string): string {
  const env = { ...process.env };
  // Set by the test runner that runs this file; npm's own children must not report to it.
  delete env.NODE_TEST_CONTEXT;
  return execFileSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd,
    env,
    encoding: 'utf8',
  });
}

interface LockEntry {
  dev?: boolean;
  [key: string]: unknown;
}

/**
 * A lockfile for a project depending only on the tarball: the checkout's locked runtime dependencies
 * (not its dev ones), so npm installs the same versions, from the cache by their integrity, offline.
 */
function consumerLock(tarball: string): unknown {
  const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'));
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { nightshift: `file:${tarball}` } },
    'node_modules/nightshift': {
      version: pkg.version,
      resolved: `file:${tarball}`,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) {
    if (path !== '' && !entry.dev) packages[path] = entry;
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

const APP = `
import { createRuntime } from 'nightshift';
const runtime = await createRuntime({ dataDir: 'data' });
const js = await runtime.run('greeter.yaml', { name: 'Ada' });
let ts;
try {
  ts = await runtime.run('greeter-ts.yaml', { name: 'Ada' });
} catch (err) {
  ts = { code: err.code, message: err.message, issues: err.issues };
}
await runtime.close();
process.stdout.write(JSON.stringify({ js, ts }));
`;

const TOOLS = `
import { defineTool } from 'nightshift';
import { z } from 'zod';
export const greet = defineTool({
  name: 'greet.say',
  description: 'Greets someone',
  input: z.object({ name: z.string() }),
  effect: 'read',
  run: ({ name }) => ({ greeting: 'Hello, ' + name }),
});
`;

const role = (toolModule: string) => `name: greeter
description: Greets
autonomy: full
model: script:greeter.script.yaml
instructions: Greet the person named in the input.
tools: [greet.say]
toolModules: [${toolModule}]
`;

const SCRIPT = `turns:
  - call: greet.say
    args: { name: Ada }
  - final: { greeting: "Hello, Ada" }
`;

describe('the npm package', () => {
  let dir: string;
  let tarball: string;
  let project: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nightshift-pack-'));
    // The tests run on a fresh build (npm test builds first): pack it as it is, without rebuilding.
    const packed = JSON.parse(
      npm(['pack', '--json', '--ignore-scripts', '--pack-destination', dir], repoRoot),
    );
    tarball = join(dir, packed[0].filename);
    project = join(dir, 'consumer');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: { nightshift: `file:${tarball}` },
      }),
    );
    writeFileSync(join(project, 'package-lock.json'), JSON.stringify(consumerLock(tarball)));
    // Offline: every dependency comes from the npm cache that installing this checkout filled. Install
    // scripts are skipped: better-sqlite3's native addon is the checkout's own build, for this Node.
    npm(['ci', '--offline', '--ignore-scripts'], project);
    const addon = join('node_modules', 'better-sqlite3', 'build', 'Release');
    mkdirSync(join(project, addon), { recursive: true });
    copyFileSync(join(repoRoot, addon, 'better_sqlite3.node'), join(project, addon, 'better_sqlite3.node'));
    rmSync(join(project, 'node_modules', 'tsx'), { recursive: true, force: true });
    writeFileSync(join(project, 'app.mjs'), APP);
    writeFileSync(join(project, 'tools.mjs'), TOOLS);
    writeFileSync(join(project, 'tools.ts'), TOOLS);
    writeFileSync(join(project, 'greeter.yaml'), role('tools.mjs'));
    writeFileSync(join(project, 'greeter-ts.yaml'), role('tools.ts'));
    writeFileSync(join(project, 'greeter.script.yaml'), SCRIPT);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('ships the built library, the CLI, README, LICENSE and docs; no tests and no sources', () => {
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));
    for (const f of [
      'package.json',
      'README.md',
      'LICENSE',
      'bin/nightshift.js',
      'dist/src/index.js',
      'dist/src/index.d.ts',
      'dist/src/cli/main.js',
      'docs/library.md',
    ]) {
      assert.ok(files.includes(f), `${f} is not in the tarball`);
    }
    const stray = files.filter(
      (f) =>
        /^(test|dist\/test|src|bench|examples|\.ci|scripts)\//.test(f) ||
        (f.endsWith('.ts') && !f.endsWith('.d.ts')),
    );
    assert.deepEqual(stray, []);
  });

  it('runs a role with a JavaScript tool module through createRuntime, with tsx deleted', () => {
    const r = spawnSync(process.execPath, ['app.mjs'], { cwd: project, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const { js, ts } = JSON.parse(r.stdout);
    assert.equal(js.status, 'succeeded', JSON.stringify(js));
    assert.deepEqual(js.output, { greeting: 'Hello, Ada' });
    // A .ts tool module needs tsx, which is gone: the role is refused, saying what to do.
    assert.equal(ts.code, 'ROLE_INVALID', JSON.stringify(ts));
    const issue = ts.issues.find((i: { path: string }) => i.path.startsWith('toolModules'));
    assert.ok(issue, JSON.stringify(ts.issues));
    assert.match(issue.message, /tools\.ts failed to load: TypeScript tool modules are loaded with tsx/);
    assert.match(issue.message, /npm install tsx/);
  });

  it('runs the same role through the installed CLI', () => {
    const cli = join(project, 'node_modules', '.bin', 'nightshift');
    const r = spawnSync(cli, ['run', 'greeter.yaml', '--json', '--data-dir', 'cli-data'], {
      cwd: project,
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).status, 'succeeded');
  });
});
