// The README's support desk, as it shows it, against the real CLI and a clean copy of the shipped example:
// the desk delegates to billing and technical at once, billing's refund waits in the inbox with its chain,
// and approving it finishes billing, then the desk with both answers joined.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';

const tmp = exampleProject('nightshift-support-desk-');
after(() => tmp.cleanup());
const env = { NIGHTSHIFT_DATA_DIR: join(tmp.path, '.nightshift') };
const cwd = tmp.path;
const ledger = join(tmp.path, 'examples', 'support-desk', 'workspace', 'ledger', 'refunds.jsonl');

describe('examples/support-desk', () => {
  it('validate accepts the desk and its specialists', async () => {
    const r = await runCli(['validate', 'examples/support-desk/desk.yaml'], { cwd, env });
    assert.equal(r.code, 0, r.stderr);
  });

  it('runs, waits for the billing refund, and joins both answers once it is approved', async () => {
    const run = await runCli(
      ['run', 'examples/support-desk/desk.yaml', '--input', '{"ticket":"T-7"}', '--json'],
      { cwd, env },
    );
    assert.equal(run.code, 3, run.stderr);
    const paused = json<{ runId: string; status: string }>(run);
    assert.equal(paused.status, 'awaiting_approval');
    assert.equal(existsSync(ledger), false, 'no refund before the approval');

    const inbox = await runCli(['inbox'], { cwd, env });
    assert.match(inbox.stdout, /chain: support-desk \(run_\w+\) → billing \(run_\w+\) → refunds\.issue/);
    const { approvals } = json<{ approvals: { id: string }[] }>(
      await runCli(['inbox', '--json'], { cwd, env }),
    );
    assert.equal(approvals.length, 1);

    const approved = await runCli(['approve', approvals[0]!.id, '--json'], { cwd, env });
    assert.equal(approved.code, 0, approved.stderr);
    const done = json<{ runId: string; status: string; output: Record<string, unknown> }>(approved);
    assert.equal(done.runId, paused.runId);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(Object.keys(done.output).sort(), ['billing', 'summary', 'technical']);
    assert.equal(readFileSync(ledger, 'utf8').trim().split('\n').length, 1, 'one refund');

    const show = await runCli(['show', paused.runId], { cwd, env });
    assert.match(show.stdout, /children:\n {2}run_\w+ {2}(billing|technical) {2}succeeded/);
  });
});
