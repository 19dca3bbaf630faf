// The README's support desk, as it shows it, against the real CLI and a clean copy of the shipped example,
// run from examples/support-desk/ (its nightshift.config.yaml names the people): the desk delegates to
// billing and technical at once; billing's refund of 240 escalates to its manager, the lead, who allows it
// within its own limit (500); the refund of 900 is beyond the lead and waits for dana; eve is refused, and
// dana's answer runs the refund once and finishes billing, then the desk with both answers joined.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';

const tmp = exampleProject('nightshift-support-desk-');
after(() => tmp.cleanup());
const env = { NIGHTSHIFT_DATA_DIR: join(tmp.path, '.nightshift') };
const cwd = join(tmp.path, 'examples', 'support-desk');
const ledgerFile = join(cwd, 'workspace', 'ledger', 'refunds.jsonl');
const ledger = (): { orderId: string; amount: number }[] => {
  try {
    return readFileSync(ledgerFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};

interface Summary {
  runId: string;
  status: string;
  output: Record<string, unknown> | null;
}

describe('examples/support-desk', () => {
  it('validate accepts the desk, its specialists and the lead', async () => {
    for (const role of ['desk.yaml', 'billing.yaml', 'technical.yaml', 'lead.yaml']) {
      const r = await runCli(['validate', role], { cwd, env });
      assert.equal(r.code, 0, `${role}: ${r.stderr}`);
    }
  });

  it('the lead allows the refund within its limit, the larger one waits for dana, eve is refused', async () => {
    const run = await runCli(['run', 'desk.yaml', '--input', '{"ticket":"T-7"}', '--json'], { cwd, env });
    assert.equal(run.code, 3, run.stderr);
    const paused = json<Summary>(run);
    assert.equal(paused.status, 'escalated');
    assert.deepEqual(
      ledger().map((r) => [r.orderId, r.amount]),
      [['B-2002', 240]],
      'the lead allowed 240 once; 900 has not run',
    );

    const { escalations } = json<{ escalations: { id: string; runId: string; status: string }[] }>(
      await runCli(['inbox', '--json'], { cwd, env }),
    );
    assert.equal(escalations.length, 1, 'only the refund beyond the lead waits for a person');
    const waiting = escalations[0]!;
    const inbox = await runCli(['inbox'], { cwd, env });
    assert.match(inbox.stdout, /chain: support-desk \(run_\w+\) → billing \(run_\w+\) → billing\.refund/);
    assert.match(inbox.stdout, /"amount":900/);

    const show = await runCli(['show', waiting.runId], { cwd, env });
    assert.equal(show.code, 0, show.stderr);
    const path = show.stdout.slice(show.stdout.indexOf('escalation path:'));
    assert.match(path, /→ manager lead \(run run_mgr_\w+\) → allowed by manager:lead\/run_mgr_\w+/);
    assert.match(path, /→ manager lead \(run run_mgr_\w+\) → people \(.*beyond the manager's authority/);
    // The manager that passed it up is named once, not as `people (manager:lead/…: manager:lead/… passed it up`.
    assert.match(path, /→ people \(manager:lead\/run_mgr_\w+ passed it up: billing\.refund is beyond/);

    const eve = await runCli(['answer', waiting.id, 'refund it', '--allow-call', '--as', 'eve'], {
      cwd,
      env,
    });
    assert.equal(eve.code, 2, eve.stdout);
    assert.match(eve.stderr, /PERSON_NOT_ALLOWED/);
    assert.equal(ledger().length, 1, 'nothing changed by a person not allowed');

    const dana = await runCli(
      ['answer', waiting.id, 'Cancelled in time: refund it', '--allow-call', '--as', 'dana', '--json'],
      { cwd, env },
    );
    assert.equal(dana.code, 0, dana.stderr);
    const done = json<Summary>(dana);
    assert.equal(done.runId, paused.runId);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(Object.keys(done.output ?? {}).sort(), ['billing', 'summary', 'technical']);
    assert.deepEqual(
      ledger().map((r) => [r.orderId, r.amount]),
      [
        ['B-2002', 240],
        ['B-2003', 900],
      ],
      'each refund once',
    );

    const desk = await runCli(['show', paused.runId], { cwd, env });
    assert.match(desk.stdout, /children:\n {2}run_\w+ {2}(billing|technical) {2}succeeded/);
  });
});
