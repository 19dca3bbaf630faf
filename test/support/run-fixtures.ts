// What the run fixtures (test/fixtures/runs/) share between the script that writes them and the test that
// reads them: the executor that stands in for claude-code, and how a role gets it in place of its model.
import type { Work } from '../../src/engine/next-work.js';
import type { PreparedRole } from '../../src/engine/prepare.js';
import type { Executor } from '../../src/executors/types.js';

/** Stands for the directory a fixture's role files were written to; the test puts its own in its place. */
export const DIR_PLACEHOLDER = '$FIXTURE_DIR';

/** The next piece of work in a word, as fixtures record it: `model`, `pause:escalated`, `unknown_outcome`. */
export const describeWork = (w: Work): string => (w.kind === 'pause' ? `pause:${w.status}` : w.kind);

/** What to do with a paused run to take it on (each followed by driving the run). */
export type ResumeAction =
  | { do: 'resume' }
  | { do: 'approve'; approvalId: string }
  /** `escalationId` `$PENDING`: the escalation pending at that point (raised by the previous action). */
  | { do: 'answer'; escalationId: string; answer: string; allowCall?: boolean; grantBudget?: boolean };

/**
 * The executor of the fixtures' executor runs: one session that reads, drafts a write and answers.
 * Resuming after the session never calls it again (the session is recorded).
 */
export function fakeExecutor(): Executor {
  return {
    kind: 'executor',
    name: 'claude-code',
    spec: 'claude-code:fake',
    modelId: 'fake',
    async run(s) {
      await s.gate({ id: 't1', executorTool: 'Read', tool: 'fs.read', args: { path: 'x' } });
      await s.emit({ type: 'assistant', text: 'reading x' });
      await s.gate({
        id: 't2',
        executorTool: 'Write',
        tool: 'fs.write',
        args: { path: 'a.txt', content: 'drafted' },
      });
      await s.emit({ type: 'tool_result', text: 'drafted', isError: true });
      return {
        text: '{"summary":"ok"}',
        usage: { inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, costUsd: 0.01 },
        turns: 2,
        modelId: 'fake-1',
      };
    },
  };
}

/** The role with an executor in place of its model, as the tests inject one. */
export function withExecutor(prepared: PreparedRole, executor: Executor): PreparedRole {
  return {
    ...prepared,
    agent: { kind: 'executor', executor },
  };
}
