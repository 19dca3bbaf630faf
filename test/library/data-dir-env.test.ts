// createRuntime({ env }) reads NIGHTSHIFT_DATA_DIR from `env`, as it reads NIGHTSHIFT_DATABASE_URL there:
// it took the URL from `env` and the data dir from process.env.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createRuntime, defineRole } from '../../src/index.js';

test("createRuntime({ env }) puts the embedded store in env's NIGHTSHIFT_DATA_DIR, not process.env's", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-data-dir-env-'));
  const before = process.env.NIGHTSHIFT_DATA_DIR;
  process.env.NIGHTSHIFT_DATA_DIR = join(dir, 'from-process');
  try {
    writeFileSync(join(dir, 's.yaml'), 'turns:\n  - final: done\n');
    const role = defineRole(
      { name: 'r', description: 'd', autonomy: 'full', model: 'script:s.yaml', instructions: 'i' },
      { dir },
    );
    const runtime = await createRuntime({ env: { NIGHTSHIFT_DATA_DIR: join(dir, 'from-env') } });
    try {
      assert.equal((await runtime.run(role, {})).status, 'succeeded');
    } finally {
      await runtime.close();
    }
    assert.ok(existsSync(join(dir, 'from-env', 'nightshift.db')));
    assert.ok(!existsSync(join(dir, 'from-process')));
  } finally {
    if (before === undefined) delete process.env.NIGHTSHIFT_DATA_DIR;
    else process.env.NIGHTSHIFT_DATA_DIR = before;
    rmSync(dir, { recursive: true, force: true });
  }
});
