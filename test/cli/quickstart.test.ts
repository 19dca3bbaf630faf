// The README quickstart, word for word, against the real CLI and the shipped examples.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { copyExamples, exampleProject } from '../support/examples.js';
import { repoRoot } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';

// A copy of the repo's examples (the files they ship, not what a quickstart run left in the checkout),
// so the run's files land in a temp dir, not in the checkout.
const tmp = exampleProject('nightshift-quickstart-');
after(() => tmp.cleanup());
const env = { NIGHTSHIFT_DATA_DIR: join(tmp.path, '.nightshift') };
const cwd = tmp.path;
const ws = (...p: string[]) => join(tmp.path, 'examples', 'workspaces', ...p);

describe('quickstart', () => {
  let runId = '';
  let approvalId = '';

  it('nightshift run examples/roles/refund-desk.yaml --input ... --json pauses for approval (exit 3)', async () => {
    const r = await runCli(
      ['run', 'examples/roles/refund-desk.yaml', '--input', '{"ticket":"T-1"}', '--json'],
      { cwd, env },
    );
    assert.equal(r.code, 3, r.stderr);
    const out = json<{
      runId: string;
      role: string;
      roleVersion: string;
      status: string;
      pending: string[];
      steps: number;
      usage: Record<string, number>;
      escalations: unknown[];
      output: unknown;
    }>(r);
    assert.equal(out.status, 'awaiting_approval');
    assert.equal(out.role, 'refund-desk');
    assert.match(out.roleVersion, /^[0-9a-f]{16}$/);
    assert.equal(out.pending.length, 1);
    assert.deepEqual(Object.keys(out.usage).sort(), [
      'cachedInputTokens',
      'costUsd',
      'inputTokens',
      'outputTokens',
    ]);
    assert.equal(existsSync(ws('support', 'replies', 'T-1.md')), false);
    assert.equal(existsSync(ws('support', 'ledger', 'refunds.jsonl')), false);
    runId = out.runId;
    approvalId = out.pending[0]!;
  });

  it('nightshift inbox lists the drafted change set', async () => {
    const r = await runCli(['inbox'], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(approvalId));
    assert.match(r.stdout, /refunds\.issue/);
    const j = json<{ approvals: { id: string }[] }>(await runCli(['inbox', '--json'], { cwd, env }));
    assert.deepEqual(
      j.approvals.map((a) => a.id),
      [approvalId],
    );
  });

  it('nightshift approve <id> runs the drafted calls and the run finishes', async () => {
    const r = await runCli(['approve', approvalId], { cwd, env });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /succeeded/);
    assert.match(readFileSync(ws('support', 'replies', 'T-1.md'), 'utf8'), /refunded 40\.00 USD/);
    const ledger = readFileSync(ws('support', 'ledger', 'refunds.jsonl'), 'utf8')
      .trim()
      .split('\n');
    assert.equal(ledger.length, 1);
  });

  it('nightshift show <run-id> lists every step and decision with its reason', async () => {
    const r = await runCli(['show', runId], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /fs\.read → ALLOW/);
    assert.match(r.stdout, /fs\.write → DRAFT: autonomy 'draft'/);
    assert.match(r.stdout, /refunds\.issue → DRAFT: refunds\.issue requires human approval/);
    assert.match(r.stdout, /approved by tester/);
    assert.match(r.stdout, /scripted, not a real model/);
    const j = json<{ status: string; output: { summary: string } }>(
      await runCli(['show', runId, '--json'], { cwd, env }),
    );
    assert.equal(j.status, 'succeeded');
    assert.match(j.output.summary, /Refunded 40 USD/);
  });
});

describe('the other examples', () => {
  it('ops-monitor (observe) denies the write and escalates (exit 3)', async () => {
    const r = await runCli(
      ['run', 'examples/roles/ops-monitor.yaml', '--input', '{"service":"checkout"}', '--json'],
      { cwd, env },
    );
    assert.equal(r.code, 3, r.stderr);
    const out = json<{ status: string; escalations: { category: string; id: string }[] }>(r);
    assert.equal(out.status, 'escalated');
    assert.equal(out.escalations[0]!.category, 'high_impact');
    assert.equal(existsSync(ws('ops', 'actions')), false);
    const answered = await runCli(['answer', out.escalations[0]!.id, 'Roll back checkout to v41', '--json'], {
      cwd,
      env,
    });
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(json<{ status: string }>(answered).status, 'succeeded');
  });

  it('dependency-janitor (sandbox) writes inside its workspace and is denied outside', async () => {
    const r = await runCli(['run', 'examples/roles/dependency-janitor.yaml', '--json'], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(ws('maintenance', 'UPGRADES.md'), 'utf8'), /Upgrade plan/);
    assert.equal(existsSync(join(tmp.path, 'examples', 'escaped.txt')), false);
    assert.equal(existsSync(join(tmp.path, 'escaped.txt')), false);
  });

  it('validate accepts every example role', async () => {
    const r = await runCli(
      [
        'validate',
        'examples/roles/refund-desk.yaml',
        'examples/roles/ops-monitor.yaml',
        'examples/roles/dependency-janitor.yaml',
      ],
      { cwd, env },
    );
    assert.equal(r.code, 0, r.stderr);
  });
});

describe('the examples copy', () => {
  it('leaves out what running the quickstart wrote into examples/', () => {
    // A checkout after the README quickstart: the examples plus the files their runs wrote.
    const dirty = tempDir('nightshift-dirty-examples-');
    const clean = tempDir('nightshift-clean-examples-');
    try {
      cpSync(join(repoRoot, 'examples'), dirty.path, { recursive: true });
      const left = [
        ['workspaces', 'support', 'replies', 'T-1.md'],
        ['workspaces', 'support', 'ledger', 'refunds.jsonl'],
        ['workspaces', 'maintenance', 'UPGRADES.md'],
        ['.nightshift', 'nightshift.db'],
      ];
      for (const parts of left) {
        mkdirSync(join(dirty.path, ...parts.slice(0, -1)), { recursive: true });
        writeFileSync(join(dirty.path, ...parts), 'left by a quickstart run');
      }
      copyExamples(dirty.path, clean.path);
      for (const parts of left) assert.equal(existsSync(join(clean.path, ...parts)), false, parts.join('/'));
      assert.ok(existsSync(join(clean.path, 'roles', 'refund-desk.yaml')));
    } finally {
      dirty.cleanup();
      clean.cleanup();
    }
  });
});
