// A data dir (the embedded store) inside a role's workspace would let the role's fs tools and commands
// read other runs and edit approvals: the runtime refuses that layout before any run starts.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { runCli } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

describe('the store inside a workspace', () => {
  const made: TestRole[] = [];
  after(() => {
    for (const r of made) r.cleanup();
  });
  const role = () => {
    const r = writeTestRole({
      autonomy: 'full',
      turns: [{ call: 'fs.list', args: {} }, { final: { summary: 'done' } }],
      ledgerTools: false,
    });
    made.push(r);
    return r;
  };

  it('refuses to run a role whose workspace contains the data dir, and records no run', async () => {
    const r = role();
    const rt = await createRuntime({ dataDir: join(r.workspace, '.nightshift') });
    try {
      await assert.rejects(rt.run(r.file, {}), {
        code: 'ROLE_INVALID',
        message:
          /role test-role: its workspace .*workspace contains the data dir .*\.nightshift, where runs and approvals are stored/,
      });
      assert.deepEqual(await rt.store.listRuns({}), []);
    } finally {
      await rt.close();
    }
  });

  it('refuses a data dir that is the workspace itself, or reached through a symlink', async () => {
    const r = role();
    const rt = await createRuntime({ dataDir: r.workspace });
    try {
      await assert.rejects(rt.run(r.file, {}), { code: 'ROLE_INVALID' });
    } finally {
      await rt.close();
    }
    const linked = role();
    mkdirSync(join(linked.workspace, 'state'));
    symlinkSync(join(linked.workspace, 'state'), join(linked.dir, 'data-link'));
    const rt2 = await createRuntime({ dataDir: join(linked.dir, 'data-link') });
    try {
      await assert.rejects(rt2.run(linked.file, {}), { code: 'ROLE_INVALID' });
    } finally {
      await rt2.close();
    }
  });

  it('refuses to start workers (serve) for such a role', async () => {
    const r = role();
    const rt = await createRuntime({ dataDir: join(r.workspace, 'data') });
    // Stops the workers should they start after all, so a failure of this test cannot hang the file.
    const stop = new AbortController();
    try {
      const loaded = await loadRoleFile(r.file);
      assert.throws(() => rt.work({ roles: [loaded], concurrency: 1, signal: stop.signal }), {
        code: 'ROLE_INVALID',
      });
    } finally {
      await rt.close();
    }
  });

  it('nightshift run refuses such a data dir before creating it: nothing is written in the workspace', async () => {
    const r = role();
    const dataDir = join(r.workspace, '.ns');
    const out = await runCli(['run', r.file, '--data-dir', dataDir]);
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stderr, /contains the data dir .*\.ns/);
    assert.equal(existsSync(dataDir), false, 'no store file was made in the workspace');
  });

  it('runs the same role with the data dir beside the workspace', async () => {
    const r = role();
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      assert.equal((await rt.run(r.file, {})).status, 'succeeded');
      assert.ok(existsSync(r.dataDir));
    } finally {
      await rt.close();
    }
  });
});
