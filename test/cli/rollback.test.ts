// `nightshift rollback` with no earlier version to go back to is a usage error (exit 2,
// NOTHING_TO_ROLL_BACK), as docs/cli.md says, not a failure (exit 1).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('rollback with nothing to roll back', () => {
  it('exits 2 with NOTHING_TO_ROLL_BACK', async () => {
    const r = writeTestRole({ name: 'back-bot', autonomy: 'full', tools: [], turns: [{ final: {} }] });
    try {
      const data = ['--data-dir', r.dataDir];
      assert.equal((await runCli(['versions', r.file, ...data])).code, 0);
      const out = await runCli(['rollback', 'back-bot', '--as', 'alice', ...data]);
      assert.equal(out.code, 2, out.stderr);
      assert.match(out.stderr, /NOTHING_TO_ROLL_BACK/);
    } finally {
      r.cleanup();
    }
  });
});
