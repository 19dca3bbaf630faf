// Delegation through the real CLI: `validate` refuses a cycle of roles and a chain deeper than the bound,
// naming the chain; `run --json` reports the orchestrator's final outcome after its children ran in the
// same process; `show --json` links a child to its parent and a parent to its children; `inbox` prints a
// specialist's draft with the chain; `approve --json` reports the orchestrator's outcome.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';

describe('delegation in the CLI', () => {
  it('validate: a cycle of roles is an error naming the chain', async () => {
    const tree = writeRoleTree([
      { name: 'alpha', autonomy: 'full', specialists: ['beta'], turns: [{ final: {} }] },
      { name: 'beta', autonomy: 'full', specialists: ['alpha'], turns: [{ final: {} }] },
    ]);
    const r = await runCli(['validate', tree.file('alpha')]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /cycle of roles: alpha → beta → alpha/);
  });

  it('validate: a role delegating to itself is a cycle too', async () => {
    const tree = writeRoleTree([
      { name: 'solo', autonomy: 'full', specialists: ['solo'], turns: [{ final: {} }] },
    ]);
    const r = await runCli(['validate', tree.file('solo')]);
    assert.equal(r.code, 2);
    assert.match(r.stdout + r.stderr, /cycle of roles: solo → solo/);
  });

  it('validate: a chain deeper than delegation.maxDepth is an error naming it', async () => {
    const tree = writeRoleTree([
      {
        name: 'top',
        autonomy: 'full',
        specialists: ['middle'],
        extra: { delegation: { maxDepth: 1 } },
        turns: [{ final: {} }],
      },
      { name: 'middle', autonomy: 'full', specialists: ['bottom'], turns: [{ final: {} }] },
      { name: 'bottom', autonomy: 'full', turns: [{ final: {} }] },
    ]);
    const r = await runCli(['validate', tree.file('top')]);
    assert.equal(r.code, 2);
    assert.match(
      r.stdout + r.stderr,
      /deeper than delegation\.maxDepth \(1\): top → middle → \.\/bottom\.yaml/,
    );
    // Within the default bound (3) the same tree is valid.
    const ok = writeRoleTree([
      { name: 'top', autonomy: 'full', specialists: ['middle'], turns: [{ final: {} }] },
      { name: 'middle', autonomy: 'full', specialists: ['bottom'], turns: [{ final: {} }] },
      { name: 'bottom', autonomy: 'full', turns: [{ final: {} }] },
    ]);
    const v = await runCli(['validate', ok.file('top')]);
    assert.equal(v.code, 0, v.stderr);
  });

  it('validate: a listed tool may not take a name of the delegate. tools', async () => {
    const tree = writeRoleTree([
      { name: 'sly', autonomy: 'full', tools: ['delegate.billing'], turns: [{ final: {} }] },
    ]);
    const r = await runCli(['validate', tree.file('sly')]);
    assert.equal(r.code, 2);
    assert.match(r.stdout + r.stderr, /'delegate\.' names the tools of specialists/);
  });

  it('run --json, show --json, inbox and approve --json across a delegation', async () => {
    const tree = writeRoleTree([
      {
        name: 'desk',
        autonomy: 'full',
        specialists: ['billing'],
        turns: [{ call: 'delegate.billing', args: { task: 'refund' } }, { final: { done: true } }],
      },
      {
        name: 'billing',
        autonomy: 'draft',
        tools: ['ledger.append'],
        input: TASK_INPUT,
        turns: [{ call: 'ledger.append', args: { entry: 'refund' } }, { final: { refunded: true } }],
      },
    ]);
    const data = ['--data-dir', tree.dataDir];
    const run = await runCli(['run', tree.file('desk'), '--input', '{}', '--json', ...data]);
    const paused = json<{ runId: string; status: string }>(run);
    assert.equal(paused.status, 'awaiting_approval');

    const inbox = await runCli(['inbox', ...data]);
    assert.match(
      inbox.stdout,
      new RegExp(`chain: desk \\(${paused.runId}\\) → billing \\(run_\\w+\\) → ledger\\.append`),
    );
    const pending = json<{ approvals: { id: string; runId: string }[] }>(
      await runCli(['inbox', '--json', ...data]),
    );
    const childId = pending.approvals[0]!.runId;

    const child = json<{ parent: { runId: string; callKey: string }; run: { parentRunId: string } }>(
      await runCli(['show', childId, '--json', ...data]),
    );
    assert.equal(child.parent.runId, paused.runId);
    assert.equal(child.run.parentRunId, paused.runId);
    const parent = json<{ children: { runId: string; role: string; parentCallKey: string }[] }>(
      await runCli(['show', paused.runId, '--json', ...data]),
    );
    assert.deepEqual(parent.children, [
      { runId: childId, role: 'billing', status: 'awaiting_approval', parentCallKey: child.parent.callKey },
    ]);
    const text = await runCli(['show', paused.runId, ...data]);
    assert.match(text.stdout, /child_started .*billing/);
    assert.match(text.stdout, new RegExp(`children:\\n  ${childId}  billing`));

    const approved = await runCli(['approve', pending.approvals[0]!.id, '--as', 'alice', '--json', ...data]);
    const outcome = json<{ runId: string; status: string; output: unknown }>(approved);
    assert.equal(outcome.runId, paused.runId);
    assert.equal(outcome.status, 'succeeded');
    assert.deepEqual(outcome.output, { done: true });
    assert.equal(approved.code, 0);
  });

  it("run --json of an orchestrator lists the escalation its specialist's run waits on, with that run's id", async () => {
    const tree = writeRoleTree([
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
        extra: { escalation: [{ category: 'money', when: { tool: 'ledger.append' } }] },
        turns: [{ call: 'ledger.append', args: { entry: 'refund' } }, { final: { refunded: true } }],
      },
    ]);
    const data = ['--data-dir', tree.dataDir];
    const run = await runCli(['run', tree.file('desk'), '--input', '{}', '--json', ...data]);
    const paused = json<{
      runId: string;
      status: string;
      escalations: { id: string; runId: string; category: string; status: string }[];
    }>(run);
    assert.equal(paused.status, 'escalated');
    const inbox = json<{ escalations: { id: string; runId: string }[] }>(
      await runCli(['inbox', '--json', ...data]),
    );
    const [held] = inbox.escalations;
    assert.ok(held && held.runId !== paused.runId, "the escalation is the specialist run's");
    assert.deepEqual(
      paused.escalations.map((e) => ({ id: e.id, runId: e.runId, category: e.category, status: e.status })),
      [{ id: held.id, runId: held.runId, category: 'money', status: 'pending' }],
    );
    // The human output names it too, with whose it is and what to type.
    const again = await runCli(['run', tree.file('desk'), '--input', '{}', ...data]);
    assert.match(
      again.stdout,
      /escalated esc_\w+ \(run run_\w+\) \[money\] .*→ {2}nightshift answer esc_\w+ "\.\.\."/,
    );
  });
});
