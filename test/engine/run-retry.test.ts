// Which failed runs a job-mode retry is worth: read from the error's typed `retryable`, with the copy in
// `details` still honoured for runs recorded before the field existed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isTransient } from '../../src/engine/run-retry.js';

describe('isTransient', () => {
  it('retries a model error unless it says it is not retryable', () => {
    assert.equal(isTransient({ code: 'MODEL_ERROR', message: 'HTTP 500', retryable: true }), true);
    assert.equal(isTransient({ code: 'MODEL_ERROR', message: 'HTTP 400', retryable: false }), false);
    assert.equal(isTransient({ code: 'MODEL_ERROR', message: 'a thrown model error' }), true);
  });

  it('reads details.retryable on runs recorded before the typed field', () => {
    const old = { code: 'MODEL_ERROR', message: 'HTTP 401', details: { retryable: false } };
    assert.equal(isTransient(old), false);
  });

  it('retries store errors and crashed workers, and nothing else', () => {
    assert.equal(isTransient({ code: 'STORE_ERROR', message: 'connection reset' }), true);
    assert.equal(isTransient({ code: 'RUN_CRASHED', message: 'worker died' }), true);
    assert.equal(isTransient({ code: 'OUTPUT_INVALID', message: 'bad output', retryable: true }), false);
    assert.equal(isTransient({ code: 'BUDGET_EXCEEDED', message: 'over budget' }), false);
  });
});
