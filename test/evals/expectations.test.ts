// Judging a case: each expectation kind, table-driven, passing on what the run did and failing, with a
// reason that says what was expected and what happened, on what it did not.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CaseObservation, checkCase, includes } from '../../src/evals/expectations.js';
import { SuiteSpec } from '../../src/evals/suite-file.js';

const seen: CaseObservation = {
  runId: 'run_1',
  status: 'succeeded',
  output: { summary: 'Refunded order A-1001', refundUsd: 40, tags: ['refund', 'damaged'] },
  error: null,
  calls: [
    { tool: 'fs.read', args: { path: 'tickets/T-1.json' }, decision: 'allow', reason: 'read' },
    {
      tool: 'refunds.issue',
      args: { orderId: 'A-1001', amount: 40 },
      decision: 'draft',
      reason: 'draft rung',
    },
    { tool: 'fs.write', args: { path: '../x' }, decision: 'deny', reason: 'outside the workspace' },
  ],
  escalations: [{ category: 'money', reason: 'over 100', source: 'tool_rule' }],
  steps: 3,
  costUsd: 0.02,
  durationMs: 1500,
};

/** The expectations of one case, parsed as a suite file would be (defaults included). */
function expect(e: unknown) {
  return SuiteSpec.parse({ cases: [{ name: 'c', expect: e }] }).cases[0]!.expect;
}

function failures(e: unknown, o: CaseObservation = seen) {
  return checkCase(expect(e), o).filter((c) => !c.ok);
}

// [kind, an expectation the run meets, one it does not, a fragment of the reason]
const table: [string, unknown, unknown, RegExp][] = [
  ['status', { status: 'succeeded' }, { status: 'escalated' }, /expected status escalated, got succeeded/],
  [
    'output schema',
    { output: { schema: { type: 'object', required: ['summary'] } } },
    { output: { schema: { type: 'object', required: ['orderId'] } } },
    /output does not match the schema: .*orderId/,
  ],
  [
    'output exact',
    { output: { equals: seen.output } },
    { output: { equals: { summary: 'Refunded order A-1001' } } },
    /expected output .* got /,
  ],
  [
    'output subset',
    { output: { includes: { refundUsd: 40, tags: ['refund', 'damaged'] } } },
    { output: { includes: { refundUsd: 41 } } },
    /does not include \{"refundUsd":41\}/,
  ],
  [
    'output regex',
    { output: { matches: 'A-\\d{4}' } },
    { output: { matches: 'B-\\d{4}' } },
    /does not match \/B-/,
  ],
  [
    'JSONPath equals',
    { output: { paths: [{ path: '$.refundUsd', equals: 40 }] } },
    { output: { paths: [{ path: '$.refundUsd', equals: 400 }] } },
    /selects \[40\]; expected 400/,
  ],
  [
    'JSONPath matches',
    { output: { paths: [{ path: '$.tags[*]', matches: '^[a-z]+$' }] } },
    { output: { paths: [{ path: '$.tags[*]', matches: '^refund$' }] } },
    /expected to match/,
  ],
  [
    'JSONPath exists',
    { output: { paths: [{ path: '$.summary' }, { path: '$.orderId', exists: false }] } },
    { output: { paths: [{ path: '$.orderId' }] } },
    /selects nothing in the output/,
  ],
  [
    'must call (with arguments)',
    { tools: { called: ['fs.read', { tool: 'refunds.issue', args: { amount: 40 } }] } },
    { tools: { called: [{ tool: 'refunds.issue', args: { amount: 50 } }] } },
    /expected a call of refunds.issue with \{"amount":50\}; calls made: fs.read, refunds.issue, fs.write/,
  ],
  [
    'must not call',
    { tools: { notCalled: ['shell.exec', { tool: 'fs.read', args: { path: 'secrets' } }] } },
    { tools: { notCalled: ['refunds.issue'] } },
    /refunds.issue was called with .* \(draft\)/,
  ],
  [
    'must escalate',
    { policy: { escalate: 'money' } },
    { policy: { escalate: 'legal' } },
    /expected an escalation \(legal\), got money/,
  ],
  [
    'must not escalate',
    { policy: { escalate: 'money' } },
    { policy: { escalate: false } },
    /expected no escalation, got money/,
  ],
  [
    'must draft',
    { policy: { draft: ['refunds.issue'] } },
    { policy: { draft: ['fs.read'] } },
    /expected fs.read to be draft/,
  ],
  [
    'must be denied',
    { policy: { denied: true } },
    { policy: { denied: ['refunds.issue'] } },
    /expected refunds.issue to be deny/,
  ],
  ['step ceiling', { ceilings: { steps: 3 } }, { ceilings: { steps: 2 } }, /took 3 steps \(ceiling 2\)/],
  [
    'cost ceiling',
    { ceilings: { costUsd: 0.02 } },
    { ceilings: { costUsd: 0.01 } },
    /cost 0.02 USD \(ceiling 0.01\)/,
  ],
  ['time ceiling', { ceilings: { seconds: 2 } }, { ceilings: { seconds: 1 } }, /took 1.50 s \(ceiling 1 s\)/],
];

describe('case expectations', () => {
  for (const [kind, met, unmet, reason] of table) {
    it(`${kind}: passes when met, fails with the reason when not`, () => {
      assert.deepEqual(failures(met), []);
      const failed = failures(unmet);
      assert.equal(failed.length, 1, JSON.stringify(failed));
      assert.match(failed[0]!.reason ?? '', reason);
      assert.equal(failed[0]!.score, 0);
    });
  }

  it('expects success when a case names no status, and says why the run failed', () => {
    const crashed = {
      ...seen,
      status: 'failed' as const,
      error: { code: 'SCRIPT_EXHAUSTED', message: 'no turn 4' },
    };
    const [failed] = failures({}, crashed);
    assert.match(failed!.reason!, /expected status succeeded, got failed \(SCRIPT_EXHAUSTED: no turn 4\)/);
  });

  it('a subset compares arrays and scalars exactly, objects key by key', () => {
    assert.equal(includes({ a: { b: 1, c: 2 } }, { a: { b: 1 } }), true);
    assert.equal(includes({ a: [1, 2] }, { a: [1] }), false);
    assert.equal(includes({ a: null }, { a: null }), true);
    assert.equal(includes('x', { a: 1 }), false);
  });
});

describe('output checks on a run with no output', () => {
  // A run that escalated, failed or waits for approval has output null; JSONPath answers undefined for
  // that (not []), and the check used to throw, crashing the whole eval instead of failing the case.
  const none: CaseObservation = { ...seen, status: 'escalated', output: null };
  it('fails a path that must select something, and passes one that must select nothing', () => {
    const [failed] = failures(
      { status: 'escalated', output: { paths: [{ path: '$.refundUsd', equals: 40 }] } },
      none,
    );
    assert.equal(failed?.what, 'output.paths[0] $.refundUsd');
    assert.match(failed!.reason!, /selects nothing in the output/);
    assert.deepEqual(
      failures({ status: 'escalated', output: { paths: [{ path: '$.x', exists: false }] } }, none),
      [],
    );
  });

  it('fails a path whose filter cannot be evaluated on the output, saying why, instead of throwing', () => {
    // before: jsonpath-plus's error ended the whole eval (internal error, every case already run lost).
    const out: CaseObservation = { ...seen, output: { items: [{ a: 1 }] } };
    const [failed] = failures({ output: { paths: [{ path: '$.items[?(@.x.y > 1)]' }] } }, out);
    assert.equal(failed?.what, 'output.paths[0] $.items[?(@.x.y > 1)]');
    assert.match(failed!.reason!, /cannot be evaluated: .*reading 'y'/);
  });
});
