// What a command can learn of nightshift's own environment (provider keys, database URLs): a sandboxed
// one sees a /proc of its own PID namespace, so not nightshift's process; an unsandboxed one
// (`unsandboxedExec`) is given only PATH, HOME, LANG, the role's scope.env and its process marker. (It runs
// as nightshift's user, so /proc/<nightshift>/environ stays readable to it: docs/tools.md says so.)
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { sandboxAvailable } from '../../src/tools/sandbox/bubblewrap.js';
import { execIn, sandboxedRole, unsandboxedRole, withoutBubblewrap } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-proc-environ-');
after(() => tmp.cleanup());
mkdirSync(join(tmp.path, 'ws'));

describe("a command and nightshift's own environment", () => {
  it("a sandboxed command cannot see nightshift's process in /proc", async (t) => {
    const available = sandboxAvailable(process.env);
    if (!available.ok) return t.skip(available.reason);
    const role = sandboxedRole('proc', ['cat', 'ls'], tmp.path);
    const run = async (command: string, args: string[]) => {
      const { verdict, result } = await execIn(role, { command, args });
      assert.ok(result, JSON.stringify(verdict));
      return result;
    };
    const environ = await run('cat', [`/proc/${process.pid}/environ`]);
    assert.notEqual(environ.exitCode, 0, environ.stdout);
    assert.equal(environ.stdout, '');
    const pids = (await run('ls', ['/proc'])).stdout.split('\n').filter((n) => /^\d+$/.test(n));
    assert.ok(pids.length > 0 && pids.length < 10, `the sandbox's /proc shows ${pids.length} processes`);
    assert.ok(!pids.includes(String(process.pid)));
  });

  it("an unsandboxed command's environment holds none of nightshift's variables", async () => {
    const role = unsandboxedRole('proc-unsandboxed', ['env'], tmp.path);
    process.env.PROVIDER_KEY_FOR_TEST = 'sk-test-provider-9c1f';
    try {
      const { verdict, result } = await withoutBubblewrap(() => execIn(role, { command: 'env', args: [] }));
      assert.ok(result, JSON.stringify(verdict));
      assert.equal(result.sandbox, 'none');
      assert.ok(!result.stdout.includes('sk-test-provider-9c1f'), 'a provider key reached the command');
      const names = result.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=')[0])
        .sort();
      assert.deepEqual(
        names.filter((n) => n !== 'PWD'),
        ['GIT_CONFIG_GLOBAL', 'GIT_CONFIG_NOSYSTEM', 'HOME', 'LANG', 'NIGHTSHIFT_PROCESS_MARKER', 'PATH'],
      );
    } finally {
      delete process.env.PROVIDER_KEY_FOR_TEST;
    }
  });
});
