// The answer-back signature (decision 047): v2 covers "<t>.<path>.<body>", so it checks on its own path
// only; v1 (the body only) is taken only when the setting allows it, and a header with both is judged by v2.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { signDecision, verifyDecisionSignature } from '../../src/server/webhook-signature.js';

const SECRET = 'decisions-secret-unit';
const body = Buffer.from(JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' }));
const now = Date.now();
const t = Math.floor(now / 1000);
const v1 = `v1=${createHmac('sha256', SECRET).update(`${t}.`).update(body).digest('hex')}`;
const A = '/decisions/escalation/esc_a';
const B = '/decisions/escalation/esc_b';

describe('the decision answer signature', () => {
  it('checks v2 on the path it was made for, and on no other (kind or id)', () => {
    const header = signDecision(SECRET, t, A, body);
    const ok = verifyDecisionSignature(header, body, SECRET, now, A, false);
    assert.equal(ok.ok, true);
    assert.equal(ok.ok && ok.version, 'v2');
    for (const other of [B, '/decisions/approval/esc_a', `${A}x`]) {
      const r = verifyDecisionSignature(header, body, SECRET, now, other, false);
      assert.equal(r.ok, false, other);
      assert.equal(!r.ok && r.problem, 'mismatch');
    }
  });

  it('refuses v1 unless accepting it is set; a header with both is judged by v2', () => {
    const off = verifyDecisionSignature(`t=${t},${v1}`, body, SECRET, now, A, false);
    assert.equal(off.ok, false);
    assert.match(!off.ok ? off.reason : '', /must be signed v2.*NIGHTSHIFT_DECISIONS_ACCEPT_V1=1/);
    const on = verifyDecisionSignature(`t=${t},${v1}`, body, SECRET, now, A, true);
    assert.equal(on.ok && on.version, 'v1');
    // A good v1 does not rescue a v2 made for another path.
    const both = `${signDecision(SECRET, t, B, body)},${v1}`;
    assert.equal(verifyDecisionSignature(both, body, SECRET, now, A, true).ok, false);
    assert.equal(verifyDecisionSignature(both, body, SECRET, now, B, true).ok, true);
  });

  it('keeps the window and the secret: stale or wrong-secret v2 is refused', () => {
    const stale = signDecision(SECRET, t - 3600, A, body);
    const r = verifyDecisionSignature(stale, body, SECRET, now, A, false);
    assert.equal(!r.ok && r.problem, 'stale');
    const wrong = signDecision('another-secret', t, A, body);
    assert.equal(verifyDecisionSignature(wrong, body, SECRET, now, A, false).ok, false);
  });
});
