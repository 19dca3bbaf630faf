// A `nightshift run` killed with SIGKILL in the middle of a real Claude Code session: `resume` re-runs the
// session from the start, only the finished session's change set can be approved, and approving applies the
// drafted write exactly once. Also: the CLI refuses a missing executor before recording a run (exit 2).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, runCli, startCli } from '../test/support/cli.js';
import type { FakeAnswer, FakeRequest, FakeServer } from '../test/support/fake-anthropic.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import { type ExecutorRole, writeExecutorRole } from './support.js';

describe('a claude-code run killed mid-session', () => {
  let fake: FakeServer;
  let role: ExecutorRole;
  let slow = true;
  before(async () => {
    fake = await startFakeAnthropic({ validate: false });
    role = writeExecutorRole({ model: 'claude-code:claude-sonnet-4-5', autonomy: 'draft' });
    const answer = (request: FakeRequest): FakeAnswer => {
      const turn = fake.read(request);
      if (!turn.toolNames.includes('Read')) return { text: 'ok' };
      const results = turn.toolResults.length;
      if (results === 0)
        return { calls: [{ name: 'Read', input: { file_path: join(role.workspace, 'notes.txt') } }] };
      if (results === 1)
        return {
          // The first session is killed while it waits for this answer.
          ...(slow ? { delayMs: 5000 } : {}),
          calls: [{ name: 'Write', input: { file_path: join(role.workspace, 'out.txt'), content: 'once' } }],
        };
      return { text: '{"summary":"done"}' };
    };
    fake.enqueue(...Array.from({ length: 100 }, () => answer));
  });
  after(async () => {
    await fake.close();
    role.cleanup();
  });

  const env = () => ({
    ANTHROPIC_API_KEY: 'test-key',
    ANTHROPIC_BASE_URL: fake.url,
    NIGHTSHIFT_DATA_DIR: role.dataDir,
  });

  it('re-runs the session on resume; the drafted write is applied once, after approval', async () => {
    const first = startCli(['run', role.file, '--json'], { env: env() });
    // Wait until the session has asked for its second turn (the read is done), then kill the run.
    for (
      let i = 0;
      i < 200 && fake.requests.filter((r) => fake.read(r).toolResults.length === 1).length === 0;
      i++
    )
      await sleep(50);
    first.child.kill('SIGKILL');
    const killed = await first.done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(role.has('out.txt'), false);

    const runs = json<{ runId: string; status: string }[]>(await runCli(['runs', '--json'], { env: env() }));
    assert.equal(runs.length, 1);
    assert.equal(runs[0]!.status, 'running');
    const inbox = json<{ approvals: unknown[] }>(await runCli(['inbox', '--json'], { env: env() }));
    assert.equal(inbox.approvals.length, 0, 'nothing of the cut-off session can be approved');

    slow = false;
    const resumed = await runCli(['resume', runs[0]!.runId, '--json'], { env: env() });
    const paused = json<{ status: string; pending: string[] }>(resumed);
    assert.equal(paused.status, 'awaiting_approval', resumed.stderr);
    assert.equal(paused.pending.length, 1);
    assert.equal(role.has('out.txt'), false);

    const approved = json<{ status: string }>(
      await runCli(['approve', paused.pending[0]!, '--as', 'alice', '--json'], { env: env() }),
    );
    assert.equal(approved.status, 'succeeded');
    assert.equal(role.read('out.txt'), 'once');

    const show = json<{ steps: { kind: string; data: Record<string, unknown> }[] }>(
      await runCli(['show', runs[0]!.runId, '--json'], { env: env() }),
    );
    const attempts = show.steps.filter((s) => s.kind === 'executor_started').map((s) => s.data.attempt);
    assert.deepEqual(attempts, [1, 2]);
    const writes = show.steps.filter((s) => s.kind === 'tool_started' && s.data.tool === 'fs.write');
    assert.equal(writes.length, 1, 'the drafted write ran exactly once');
  });

  it('refuses a missing executor CLI at start with exit code 2, recording nothing', async () => {
    const r = writeExecutorRole({ model: 'codex:gpt-5', autonomy: 'full' });
    try {
      const result = await runCli(['run', r.file], {
        env: {
          OPENAI_API_KEY: 'k',
          NIGHTSHIFT_CODEX_PATH: join(r.outside, 'codex'),
          NIGHTSHIFT_DATA_DIR: r.dataDir,
        },
      });
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /NIGHTSHIFT_CODEX_PATH=.* is not an absolute path to a codex executable/);
      // Refused before the store was opened: there is no store to list (nothing created at all).
      const runs = await runCli(['runs', '--json'], { env: { NIGHTSHIFT_DATA_DIR: r.dataDir } });
      assert.equal(runs.code, 2, runs.stdout + runs.stderr);
      assert.match(runs.stderr, /STORE_NOT_FOUND/);
    } finally {
      r.cleanup();
    }
  });
});
