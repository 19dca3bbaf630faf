// `nightshift eval` then `versions` and `promote` by the role's name, as docs/versions.md's flow reads:
// the version an eval stored a result against is a stored version, listed with that eval and promotable
// by its hash, without running it or calling `versions <role file>` first.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';

const tmp = exampleProject('nightshift-eval-versions-');
after(() => tmp.cleanup());
const cwd = tmp.path;
const env = { NIGHTSHIFT_DATA_DIR: join(tmp.path, '.nightshift') };

describe('nightshift eval registers the version it evaluated', () => {
  it('versions ROLE lists it with its eval, and promote ROLE HASH finds it', async () => {
    const ev = await runCli(['eval', 'examples/roles/ops-monitor.yaml', '--json'], { cwd, env });
    assert.equal(ev.code, 0, ev.stdout + ev.stderr);
    const version = json<{ roleVersion: string }>(ev).roleVersion;
    const listed = await runCli(['versions', 'ops-monitor', '--json'], { cwd, env });
    assert.equal(listed.code, 0, listed.stdout + listed.stderr);
    const out = json<{ versions: { version: string; eval: { passed: boolean; suite: string } | null }[] }>(
      listed,
    );
    assert.deepEqual(
      out.versions.map((v) => [v.version, v.eval?.suite, v.eval?.passed]),
      [[version, 'ops-monitor', true]],
    );
    const promoted = await runCli(
      ['promote', 'ops-monitor', version.slice(0, 8), '--as', 'alice', '--evidence', 'eval 3/3'],
      { cwd, env },
    );
    // The first promotion of a role waits for a person (nothing to compare with): exit 3, not 2.
    assert.equal(promoted.code, 3, promoted.stdout + promoted.stderr);
    assert.match(promoted.stdout, new RegExp(`promotion prm_\\w+ of ops-monitor to ${version} waits`));
  });
});
