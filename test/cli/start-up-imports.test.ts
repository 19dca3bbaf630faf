// What a CLI start loads: every command is declared up front, but what it does is imported when it runs
// (src/cli/main.ts). `--version`, `--help` and a usage error load commander and the declarations; validating
// a role loads the role loader, not the runtime, the stores or the heavy packages a run may need (the
// Postgres driver, OpenTelemetry, nodemailer, the MCP SDK, prom-client, pino). Every spawn of the CLI (the
// test suite makes thousands) pays for what it loads (bench/README.md, "CLI start-up").
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cliPath } from '../support/cli.js';
import { examples, repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

const hook = fileURLToPath(new URL('../support/module-log.js', import.meta.url));
const tmp = tempDir('nightshift-start-up-');
after(() => tmp.cleanup());

/** Runs the built CLI and returns the URLs of the modules it resolved through the ESM loader. */
function loaded(args: string[], name: string): { code: number | null; stderr: string; urls: string[] } {
  const log = join(tmp.path, `${name}.log`);
  const r = spawnSync(process.execPath, ['--import', hook, cliPath, ...args], {
    cwd: repoRoot,
    env: { ...process.env, NIGHTSHIFT_MODULE_LOG: log, NIGHTSHIFT_DATA_DIR: join(tmp.path, 'store') },
    encoding: 'utf8',
  });
  const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { code: r.status, stderr: r.stderr, urls };
}

/** The packages a run may need and a start must not load. */
const HEAVY = ['pg', '@modelcontextprotocol/sdk', '@opentelemetry', 'nodemailer', 'prom-client', 'pino'];

function packagesIn(urls: string[], names: readonly string[]): string[] {
  return names.filter((n) => urls.some((u) => u.includes(`/node_modules/${n}/`)));
}

/** The runtime (and through it every store and engine module): the one module every run opens. */
const runtimeLoaded = (urls: string[]) => urls.some((u) => u.endsWith('/dist/src/runtime.js'));

describe('CLI start-up imports', () => {
  it('--version and --help load commander and the declarations only: no zod, no runtime', () => {
    for (const args of [['--version'], ['--help'], ['run']]) {
      const r = loaded(args, args[0]!.replace(/^-+/, ''));
      // `run` without its role is a usage error (exit 2); the others exit 0.
      assert.equal(r.code, args[0] === 'run' ? 2 : 0, r.stderr);
      assert.ok(r.urls.length > 0, 'the hook logged nothing: is it loaded?');
      assert.deepEqual(packagesIn(r.urls, [...HEAVY, 'zod', 'yaml', 'better-sqlite3', 'ajv']), [], args[0]);
      assert.equal(runtimeLoaded(r.urls), false, `${args[0]} loaded the runtime`);
    }
  });

  it('validate <role> loads the role loader, not the runtime or a heavy package', () => {
    const r = loaded(['validate', examples('roles', 'dependency-janitor.yaml')], 'validate');
    assert.equal(r.code, 0, r.stderr);
    // The role loader and its schemas did load: the hook sees what validate needs.
    assert.deepEqual(packagesIn(r.urls, ['zod', 'yaml']), ['zod', 'yaml']);
    assert.deepEqual(packagesIn(r.urls, HEAVY), []);
    assert.equal(runtimeLoaded(r.urls), false, 'validate loaded the runtime');
  });
});
