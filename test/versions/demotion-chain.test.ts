// A demotion of an orchestrator reaches its children already created: a child acts at no more than its
// parent's effective rung (docs/orchestration.md, "Authority never rises"), and a demoted orchestrator's
// effective rung is its active version's. Through the real CLI (run, versions, promote, answer) on a real
// SQLite store; the ledger on disk says what ran.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { decidePromotion, versionWriter } from '../support/versions.js';

interface Paused {
  runId: string;
  status: string;
  escalations: { id: string; runId: string }[];
}
interface Shown {
  status: string;
  toolCalls: { tool: string; args: { entry?: string }; status: string; reason: string }[];
}

function ledger(workspace: string): string[] {
  const file = join(workspace, 'ledger.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

/** desk (full) delegates to billing (full), whose `billingTurns` run; billing escalates `ledger.append` of `ask`. */
function tree(billingTurns: unknown[]) {
  return writeRoleTree([
    {
      name: 'desk',
      autonomy: 'full',
      specialists: ['billing'],
      turns: [{ call: 'delegate.billing', args: { task: 'refund' } }, { final: { done: true } }],
    },
    {
      name: 'billing',
      autonomy: 'full',
      tools: ['ledger.append'],
      input: TASK_INPUT,
      extra: {
        escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'entry', eq: 'ask' } }],
      },
      turns: billingTurns,
    },
  ]);
}

/** Registers desk's next version at `autonomy` and makes it the active one. */
async function demoteDesk(file: string, data: string[], autonomy: string) {
  const versions = versionWriter(file, data);
  await versions.known();
  const lower = await versions.next({ autonomy });
  await decidePromotion(['promote', 'desk', lower], data);
}

async function shown(runId: string, data: string[]): Promise<Shown> {
  return json<Shown>(await runCli(['show', runId, '--json', ...data]));
}

describe("an orchestrator's demotion reaches its children", () => {
  it('a child paused before its orchestrator was demoted to observe gets its next write denied', async () => {
    const t = tree([
      { call: 'escalate', args: { category: 'ambiguous', reason: 'may I?' } },
      { call: 'ledger.append', args: { entry: 'refund' } },
      { final: { refunded: false } },
    ]);
    const data = ['--data-dir', t.dataDir];
    const paused = json<Paused>(await runCli(['run', t.file('desk'), '--input', '{}', '--json', ...data]));
    assert.equal(paused.status, 'escalated');
    const [held] = paused.escalations;
    assert.ok(held && held.runId !== paused.runId, "the escalation is the child's");
    await demoteDesk(t.file('desk'), data, 'observe');

    const answered = await runCli(['answer', held.id, 'go on', '--as', 'alice', ...data]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.deepEqual(ledger(t.workspace), [], "the child's write ran above its demoted orchestrator's rung");
    const child = await shown(held.runId, data);
    const write = child.toolCalls.find((c) => c.tool === 'ledger.append');
    assert.equal(write?.status, 'denied');
    assert.match(write!.reason, /autonomy 'observe'/);
  });

  it('a write the policy allowed in the child, waiting behind its held call, is decided again', async () => {
    const t = tree([
      {
        calls: [
          { tool: 'ledger.append', args: { entry: 'ask' } },
          { tool: 'ledger.append', args: { entry: 'later' } },
        ],
      },
      { final: { refunded: false } },
    ]);
    const data = ['--data-dir', t.dataDir];
    const paused = json<Paused>(await runCli(['run', t.file('desk'), '--input', '{}', '--json', ...data]));
    assert.equal(paused.status, 'escalated');
    const [held] = paused.escalations;
    assert.ok(held);
    await demoteDesk(t.file('desk'), data, 'draft');

    const answered = await runCli(['answer', held.id, 'no', '--as', 'alice', ...data]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.deepEqual(ledger(t.workspace), [], 'the write allowed at full ran under a draft orchestrator');
    const later = (await shown(held.runId, data)).toolCalls.find((c) => c.args.entry === 'later');
    assert.equal(later?.status, 'denied');
    assert.match(
      later!.reason,
      new RegExp(
        `role desk \\(run ${paused.runId}, which delegated to this run of billing\\) was demoted to 'draft'.*` +
          "not 'full'.*decided again at 'draft': draft",
      ),
    );
  });

  it('a promotion of the orchestrator does not raise a child created lower', async () => {
    const t = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'draft',
        specialists: ['billing'],
        turns: [{ call: 'delegate.billing', args: { task: 'refund' } }, { final: { done: true } }],
      },
      {
        name: 'billing',
        autonomy: 'full',
        tools: ['ledger.append'],
        input: TASK_INPUT,
        turns: [
          { call: 'ledger.append', args: { entry: 'one' } },
          { call: 'ledger.append', args: { entry: 'two' } },
          { final: { refunded: true } },
        ],
      },
    ]);
    const data = ['--data-dir', t.dataDir];
    const paused = json<{ status: string; pending: string[] }>(
      await runCli(['run', t.file('desk'), '--input', '{}', '--json', ...data]),
    );
    assert.equal(paused.status, 'awaiting_approval', 'the child at draft drafted its write');
    const versions = versionWriter(t.file('desk'), data);
    await versions.known();
    await decidePromotion(['promote', 'desk', await versions.next({ autonomy: 'full' })], data);

    const approved = await runCli(['approve', paused.pending[0]!, '--as', 'alice', '--json', ...data]);
    assert.equal(
      json<{ status: string }>(approved).status,
      'awaiting_approval',
      'the second write is drafted',
    );
    assert.deepEqual(ledger(t.workspace), ['one']);
  });
});
