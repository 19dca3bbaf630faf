// The ledger row a decision becomes (src/engine/ledger.ts), and the JSON checks of a run's input and
// final answer (src/engine/output.ts), as functions. The engine tests check the same through whole runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addUsage, applyVerdict, callKey, callRecord } from '../../src/engine/ledger.js';
import { checkOutput, validateJson } from '../../src/engine/output.js';
import type { EscalationRecord } from '../../src/store/types.js';

const request = { id: 'toolu_1', tool: 'fs.write', args: { path: 'a.txt', content: 'x' } };
const fresh = (decision: 'allow' | 'draft' | 'deny' | 'escalate') =>
  callRecord('run_1', 3, 1, request, { decision, reason: `because ${decision}` });

describe('a decision becomes a ledger row', () => {
  it('keys a call by run, model-turn step and index, and binds it to the hash of what was asked', () => {
    assert.equal(callKey('run_1', 3, 1), 'run_1:3:1');
    const record = fresh('allow');
    assert.equal(record.key, 'run_1:3:1');
    assert.equal(record.status, 'pending');
    assert.notEqual(record.argsHash, callRecord('run_1', 3, 1, { ...request, args: {} }, record).argsHash);
  });

  it('sets the status each verdict implies', () => {
    assert.equal(applyVerdict(fresh('allow'), { decision: 'allow', reason: '' }, 7).status, 'pending');
    assert.equal(applyVerdict(fresh('draft'), { decision: 'draft', reason: '' }, 7).status, 'drafted');
    const denied = applyVerdict(fresh('deny'), { decision: 'deny', reason: 'not listed' }, 7);
    assert.deepEqual(
      {
        status: denied.status,
        result: denied.result,
        isError: denied.isError,
        finishedAt: denied.finishedAt,
      },
      { status: 'denied', result: { denied: true, reason: 'not listed' }, isError: true, finishedAt: 7 },
    );
    const escalation = { id: 'esc_1' } as EscalationRecord;
    const held = applyVerdict(fresh('escalate'), { decision: 'escalate', reason: 'rule 0' }, 7, escalation);
    assert.deepEqual([held.status, held.escalationId, held.finishedAt], ['held', 'esc_1', null]);
  });

  it('refuses to hold an escalated call without its escalation', () => {
    assert.throws(() => applyVerdict(fresh('escalate'), { decision: 'escalate', reason: '' }, 7), {
      code: 'INTERNAL',
    });
  });

  it('adds a turn’s usage to the run’s', () => {
    const one = { inputTokens: 1, outputTokens: 2, cachedInputTokens: 3, costUsd: 0.5 };
    assert.deepEqual(addUsage(one, one), {
      inputTokens: 2,
      outputTokens: 4,
      cachedInputTokens: 6,
      costUsd: 1,
    });
  });
});

describe('JSON checks', () => {
  const schema = { type: 'string' };

  it('validates a run input as the value it is (a string is not parsed as an answer would be)', () => {
    assert.deepEqual(validateJson('```json\n1\n```', schema), { ok: true, value: '```json\n1\n```' });
    assert.deepEqual(validateJson(1, schema), { ok: false, errors: ['(root) must be string'] });
  });

  it('parses a final answer (code fence and all) before validating it', () => {
    assert.deepEqual(checkOutput('```json\n"done"\n```', schema), { ok: true, value: 'done' });
    assert.deepEqual(checkOutput('done', schema).ok, false);
    assert.deepEqual(checkOutput('done', undefined), { ok: true, value: 'done' });
  });
});
