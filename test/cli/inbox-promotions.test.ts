// `nightshift inbox` with only a pending promotion: docs/versions.md says a promotion that widens authority
// waits in the inbox. The inbox must not open with "inbox is empty" above it, and says how to decide it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('inbox with a pending promotion', () => {
  it('lists the promotion with its grant and refuse commands, and is not "empty"', async () => {
    const r = writeTestRole({ name: 'promo-bot', autonomy: 'full', tools: [], turns: [{ final: {} }] });
    try {
      const data = ['--data-dir', r.dataDir];
      assert.equal((await runCli(['versions', r.file, ...data])).code, 0);
      const view = await runCli(['versions', 'promo-bot', ...data, '--json']);
      const version = (JSON.parse(view.stdout) as { versions: { version: string }[] }).versions[0]!.version;
      // The first promotion of a role has nothing to compare with: a person decides it (exit 3).
      const p = await runCli(['promote', 'promo-bot', version, '--as', 'alice', ...data]);
      assert.equal(p.code, 3, p.stdout + p.stderr);
      const id = /promotion (prm_\w+)/.exec(p.stdout)![1]!;
      const inbox = await runCli(['inbox', ...data]);
      assert.equal(inbox.code, 0, inbox.stderr);
      assert.doesNotMatch(inbox.stdout, /inbox is empty/);
      assert.match(inbox.stdout, new RegExp(`^promotion ${id}: promo-bot to ${version} \\(`));
      assert.match(
        inbox.stdout,
        new RegExp(
          `→ nightshift approve ${id} --as NAME {2}\\| {2}nightshift reject ${id} --reason "..." --as NAME`,
        ),
      );
      const granted = await runCli(['approve', id, '--as', 'alice', ...data]);
      assert.equal(granted.code, 0, granted.stderr);
      assert.match(
        (await runCli(['inbox', ...data])).stdout,
        /^inbox is empty: nothing waits for a human\n$/,
      );
    } finally {
      r.cleanup();
    }
  });
});
