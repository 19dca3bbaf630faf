// kill -9 of the real `nightshift run` process driving an orchestrator and its children, then `resume`:
// at a child's creation (the child recorded, the parent's join not), and while a child is in the middle of
// a tool call. Contract: exactly one child run per delegating call, the child's side effect done once, the
// parent finished once with the joined output.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { json, runCli, startCli } from '../support/cli.js';
import { type RoleSketch, TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { waitFor } from '../support/wait.js';

interface Listed {
  runId: string;
  role: string;
  status: string;
}

const OUTPUT = { type: 'object', required: ['answer'] };

function desk(): RoleSketch {
  return {
    name: 'desk',
    autonomy: 'full',
    specialists: ['alpha', 'beta'],
    turns: [
      {
        calls: [
          { tool: 'delegate.alpha', args: { task: 'one' } },
          { tool: 'delegate.beta', args: { task: 'two' } },
        ],
      },
      { final: { joined: true } },
    ],
  };
}

const beta: RoleSketch = {
  name: 'beta',
  autonomy: 'full',
  input: TASK_INPUT,
  output: OUTPUT,
  turns: [{ final: { answer: 'b' } }],
};

/** Whether a run of `role` is in the store (read-only, while the CLI writes). */
function childExists(dataDir: string, role: string): boolean {
  const file = join(dataDir, 'nightshift.db');
  if (!existsSync(file)) return false;
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT 1 FROM runs WHERE role = ?').get(role) !== undefined;
  } catch {
    return false; // not migrated yet
  } finally {
    db.close();
  }
}

async function listRuns(dataDir: string): Promise<Listed[]> {
  return json<Listed[]>(await runCli(['runs', '--json', '--data-dir', dataDir]));
}

/** Resumes the orchestrator and checks the contract. */
async function resumeAndCheck(dataDir: string): Promise<void> {
  const parent = (await listRuns(dataDir)).find((r) => r.role === 'desk')!;
  const resumed = await runCli(['resume', parent.runId, '--json', '--data-dir', dataDir]);
  const outcome = json<{ status: string; output: unknown }>(resumed);
  assert.equal(outcome.status, 'succeeded', resumed.stderr);
  assert.deepEqual(outcome.output, { joined: true });

  const shown = json<{
    children: { runId: string; parentCallKey: string; status: string }[];
    steps: { kind: string }[];
    toolCalls: { key: string; status: string; result: { output: unknown } }[];
  }>(await runCli(['show', parent.runId, '--json', '--data-dir', dataDir]));
  // Exactly one child per delegating call, each finished, each joined.
  assert.equal(shown.children.length, 2);
  assert.deepEqual(
    shown.children.map((c) => c.parentCallKey).sort(),
    shown.toolCalls.map((c) => c.key).sort(),
  );
  assert.deepEqual(
    shown.children.map((c) => c.status),
    ['succeeded', 'succeeded'],
  );
  assert.deepEqual(
    shown.toolCalls.map((c) => c.result.output).sort(),
    [{ answer: 'a' }, { answer: 'b' }].sort(),
  );
  assert.equal(shown.steps.filter((s) => s.kind === 'run_finished').length, 1, 'the parent finished once');
  // No run anywhere beyond the parent and its two children.
  assert.equal((await listRuns(dataDir)).length, 3);
}

describe('kill -9 across a delegation', () => {
  it('at a child’s creation: resume finds the child instead of making a second', async () => {
    const tree = writeRoleTree([
      desk(),
      // Its one turn is slow, so the kill lands while the child exists and has done nothing yet.
      {
        name: 'alpha',
        autonomy: 'full',
        input: TASK_INPUT,
        output: OUTPUT,
        turns: [{ final: { answer: 'a' }, delayMs: 3000 }],
      },
      beta,
    ]);
    const running = startCli([
      'run',
      tree.file('desk'),
      '--input',
      '{}',
      '--json',
      '--data-dir',
      tree.dataDir,
    ]);
    // Read from the database file directly: a CLI per poll is too slow to land inside the child's turn.
    await waitFor(
      async () => (childExists(tree.dataDir, 'alpha') ? true : undefined),
      'the child run to be created',
    );
    running.child.kill('SIGKILL');
    const killed = await running.done;
    assert.equal(killed.signal, 'SIGKILL');
    await resumeAndCheck(tree.dataDir);
  });

  it('while a child runs a tool call: resume takes the child over and its side effect happens once', async () => {
    const tree = writeRoleTree([
      desk(),
      {
        name: 'alpha',
        autonomy: 'full',
        tools: ['ledger.append_once'],
        input: TASK_INPUT,
        output: OUTPUT,
        turns: [
          { call: 'ledger.append_once', args: { entry: 'alpha', hold: 'a' } },
          { final: { answer: 'a' } },
        ],
      },
      beta,
    ]);
    const running = startCli([
      'run',
      tree.file('desk'),
      '--input',
      '{}',
      '--json',
      '--data-dir',
      tree.dataDir,
    ]);
    const reached = join(tree.workspace, 'reached-a');
    await waitFor(async () => {
      try {
        return readFileSync(reached, 'utf8');
      } catch {
        return undefined;
      }
    }, 'the child to be in its tool call');
    running.child.kill('SIGKILL');
    assert.equal((await running.done).signal, 'SIGKILL');
    writeFileSync(join(tree.workspace, 'release-a'), '');
    await resumeAndCheck(tree.dataDir);
    const ledger = readFileSync(join(tree.workspace, 'ledger.txt'), 'utf8').trim().split('\n');
    assert.equal(ledger.length, 1, `the side effect happened once: ${ledger.join(' | ')}`);
    assert.match(ledger[0]!, /^alpha /);
  });
});
