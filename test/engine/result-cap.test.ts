// A tool's result is capped at 256 KiB of its JSON text (docs/tools.md, "Writing a tool"): counted in
// UTF-8 bytes, as the store and the model's request carry it. It was counted in UTF-16 characters, so a
// result of non-Latin text passed uncut at up to three times the limit, and `bytes` said characters.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonSafe } from '../../src/engine/tool-call.js';

const CAP = 256 * 1024;

describe('the tool result cap', () => {
  it('counts UTF-8 bytes: 100,000 three-byte characters (300 KB) are truncated', () => {
    const value = { text: '€'.repeat(100_000) };
    const whole = JSON.stringify(value);
    assert.ok(whole.length < CAP, 'under the cap in characters');
    const { result, untruncated } = jsonSafe(value);
    const r = result as { truncated: boolean; bytes: number; head: string };
    assert.equal(r.truncated, true);
    assert.equal(r.bytes, Buffer.byteLength(whole, 'utf8'));
    assert.deepEqual(untruncated, value);
    // The head fits in the cap and is a start of the JSON text, with no character cut in half.
    assert.ok(Buffer.byteLength(r.head, 'utf8') <= CAP);
    assert.ok(Buffer.byteLength(r.head, 'utf8') > CAP - 3);
    assert.ok(whole.startsWith(r.head));
    assert.doesNotMatch(r.head, /\uFFFD/);
  });

  it('keeps a result of exactly the cap whole, and cuts ASCII one byte over it at the cap', () => {
    const at = 'a'.repeat(CAP - 2); // JSON adds the two quotes
    assert.equal(jsonSafe(at).result, at);
    const over = `${at}b`;
    const r = jsonSafe(over).result as { truncated: boolean; bytes: number; head: string };
    assert.equal(r.truncated, true);
    assert.equal(r.bytes, CAP + 1);
    assert.equal(r.head, JSON.stringify(over).slice(0, CAP));
  });
});
