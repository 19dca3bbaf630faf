// Where the executors keep continuous agents' threads, without the CLIs: one folder per CLI and agent,
// names that cannot leave it, and the other agents' folders denied to a Codex session's commands.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { codexConfig } from '../../src/executors/codex/index.js';
import { claudeTranscriptExists, othersThreads, threadsDir } from '../../src/executors/threads.js';
import { tempDir } from '../support/tmp.js';

describe('executor thread folders', () => {
  it("are one per CLI and agent, under NIGHTSHIFT_EXECUTOR_THREADS_DIR, and refuse a name that is not a role's", () => {
    const env = { NIGHTSHIFT_EXECUTOR_THREADS_DIR: '/srv/threads' };
    assert.equal(threadsDir(env, 'codex', 'keeper'), '/srv/threads/codex/keeper');
    assert.throws(() => threadsDir(env, 'claude-code', '../other'), /is not a role name/);
  });

  it('find a Claude Code transcript in any project folder, and never look outside for a strange id', () => {
    const tmp = tempDir('nightshift-threads-');
    try {
      mkdirSync(join(tmp.path, 'projects', '-work-space'), { recursive: true });
      writeFileSync(join(tmp.path, 'projects', '-work-space', 'abc-1.jsonl'), '{}\n');
      writeFileSync(join(tmp.path, 'secret.jsonl'), '{}\n');
      assert.equal(claudeTranscriptExists(tmp.path, 'abc-1'), true);
      assert.equal(claudeTranscriptExists(tmp.path, 'abc-2'), false);
      assert.equal(claudeTranscriptExists(join(tmp.path, 'projects', 'x'), '../../secret'), false);
    } finally {
      tmp.cleanup();
    }
  });

  it("deny a Codex session's commands every other agent's threads, and all of them to a session without one", () => {
    const tmp = tempDir('nightshift-threads-');
    try {
      for (const d of ['claude-code/alpha', 'codex/alpha', 'codex/beta'])
        mkdirSync(join(tmp.path, d), { recursive: true });
      const env = { NIGHTSHIFT_EXECUTOR_THREADS_DIR: tmp.path };
      assert.deepEqual(othersThreads(env, { executor: 'codex', owner: 'alpha' }), [
        join(tmp.path, 'claude-code'),
        join(tmp.path, 'codex', 'beta'),
      ]);
      assert.deepEqual(othersThreads(env, undefined), [tmp.path]);
      const config = codexConfig({ modelId: 'gpt-5', baseUrl: 'http://127.0.0.1:1/v1' }, 'read-only', [
        ...othersThreads(env, { executor: 'codex', owner: 'alpha' }),
      ]);
      assert.ok(config.includes(`${JSON.stringify(join(tmp.path, 'codex', 'beta'))} = "none"`), config);
      assert.ok(!config.includes(`${JSON.stringify(join(tmp.path, 'codex', 'alpha'))} = "none"`), config);
    } finally {
      tmp.cleanup();
    }
  });
});
