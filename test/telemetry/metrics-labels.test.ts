// Metric labels stay bounded: a value outside the set fixed at start (roles, tools) is "other", and error
// codes are the first few seen, shaped like codes; anything else is "other".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstSeenCodeLabel, knownLabel, OTHER } from '../../src/telemetry/metrics/labels.js';

describe('metric labels', () => {
  it('keeps known values and counts anything else as "other"', () => {
    const role = knownLabel(['refund-desk', 'triage']);
    assert.equal(role('triage'), 'triage');
    assert.equal(role('made-up'), OTHER);
    assert.equal(role(undefined), OTHER);
  });

  it('takes the first error codes seen, up to a cap, and nothing shaped otherwise', () => {
    const code = firstSeenCodeLabel(2);
    assert.equal(code('STORE_CONFLICT'), 'STORE_CONFLICT');
    assert.equal(code('TOOL_FAILED'), 'TOOL_FAILED');
    assert.equal(code('STORE_CONFLICT'), 'STORE_CONFLICT');
    assert.equal(code('BUDGET_EXCEEDED'), OTHER);
    assert.equal(code('a message, not a code'), OTHER);
    assert.equal(code(undefined), OTHER);
  });
});
