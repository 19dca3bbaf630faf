// A case's `decisions` take the run past its pauses, as a person would: approving a draft runs the drafted
// calls and lets the role finish, a rejection keeps them from running, an answer to an escalation
// (with allowCall) lets the escalated call run; each decision is a check, and one that finds nothing to
// decide fails the case saying so. The shipped refund-desk role (a clean copy), the scripted model.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runSuite } from '../../src/evals/run-suite.js';
import { loadSuite } from '../../src/evals/suite-file.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { exampleProject } from '../support/examples.js';

const project = exampleProject('nightshift-case-decisions-');
const ex = (...p: string[]) => join(project.path, 'examples', ...p);
after(() => project.cleanup());

const SUITE = `
cases:
  - name: approved-refund-is-issued
    input: { ticket: T-1 }
    decisions:
      - approve: true
        note: photos checked
    expect:
      status: succeeded
      output: { includes: { refundUsd: 40 } }
      tools:
        ran: [{ tool: refunds.issue, args: { amount: 40 } }, fs.write]
      policy: { draft: [fs.write, refunds.issue] }

  - name: rejected-refund-is-not-issued
    input: { ticket: T-1 }
    decisions:
      - reject: the order was not damaged
    expect:
      status: succeeded
      tools:
        called: [refunds.issue]
        notRan: [refunds.issue, fs.write]

  - name: manager-lets-the-big-refund-run
    input: { ticket: T-1 }
    model: script:./evals/refund-desk.big-refund.script.yaml
    decisions:
      - answer: the customer is a key account; refund it
        allowCall: true
    expect:
      policy: { escalate: money }
      tools: { ran: [{ tool: refunds.issue, args: { amount: 250 } }] }

  - name: drafts-only-without-a-decision
    input: { ticket: T-1 }
    expect:
      status: awaiting_approval
      tools: { called: [refunds.issue], notRan: [refunds.issue, fs.write], ran: [fs.read] }

  - name: expects-a-draft-to-have-run
    input: { ticket: T-1 }
    expect:
      status: awaiting_approval
      tools: { ran: [refunds.issue] }

  - name: nothing-to-approve
    input: { ticket: T-1 }
    model: script:./evals/refund-desk.answer.script.yaml
    decisions:
      - approve: true
`;

describe('eval cases with decisions', () => {
  it('applies each decision at the run’s pause and judges the case where the run then stands', async () => {
    const role = await loadRoleFile(ex('roles', 'refund-desk.yaml'));
    const file = ex('roles', 'decisions.evals.yaml');
    writeFileSync(file, SUITE);
    const result = await runSuite(role, loadSuite(file), {});
    const by = new Map(result.runs.map((r) => [r.name, r]));
    for (const name of [
      'approved-refund-is-issued',
      'rejected-refund-is-not-issued',
      'manager-lets-the-big-refund-run',
      'drafts-only-without-a-decision',
    ]) {
      const r = by.get(name)!;
      assert.equal(r.passed, true, `${name}: ${r.reason}`);
    }
    const approved = by.get('approved-refund-is-issued')!;
    assert.equal(approved.status, 'succeeded');
    assert.deepEqual(
      approved.checks.map((c) => c.what),
      ['status', 'output.includes', 'tools.ran[0]', 'tools.ran[1]', 'policy.draft', 'decisions[0]'],
    );
    assert.equal(by.get('manager-lets-the-big-refund-run')!.status, 'succeeded');

    const notRun = by.get('expects-a-draft-to-have-run')!;
    assert.equal(notRun.passed, false);
    assert.match(notRun.reason!, /tools.ran\[0\]: expected refunds.issue to run; calls that ran: fs.read/);

    const nothing = by.get('nothing-to-approve')!;
    assert.equal(nothing.passed, false);
    assert.match(nothing.reason!, /decisions\[0\]: approve: no approval is pending \(the run is succeeded\)/);
  });
});
