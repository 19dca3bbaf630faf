// A secret's encoded forms (base64 and base64url at each of the three alignments, hex, percent-encoding)
// are scrubbed like the value itself, from what is stored and from log lines; the revealer writes back
// exactly what was there, so a call's arguments still match their hash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { encodedForms, MIN_ENCODED_SECRET_BYTES } from '../../src/secret-forms.js';
import { LogSecrets } from '../../src/telemetry/logger.js';
import { loadSecrets, type Redactor, redactorFor, revealerFor } from '../../src/tools/secrets.js';

// '+', '/' in its base64 and characters percent-encoding changes: every form differs from the value.
const VALUE = 'tok/LIVE~9f?3a>c71 é';

function scrubbers(value: string): { redact: Redactor; reveal: Redactor } {
  const secrets = loadSecrets(
    { name: 'r', secrets: ['API_TOKEN'], secretsFile: undefined },
    { API_TOKEN: value },
  );
  return { redact: redactorFor(secrets)!, reveal: revealerFor(secrets)! };
}

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');
const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');

/** The characters of a base64 text whose 6 bits all come from the `length` bytes at byte `offset`. */
function valueChars(offset: number, length: number): { first: number; end: number } {
  return { first: Math.ceil((8 * offset) / 6), end: Math.floor((8 * (offset + length)) / 6) };
}

describe('secret forms', () => {
  const { redact, reveal } = scrubbers(VALUE);

  it('scrubs the value base64-encoded, url-safe, hex, and percent-encoded, each under its own placeholder', () => {
    const hex = Buffer.from(VALUE).toString('hex');
    const result = {
      standalone: b64(VALUE),
      urlSafe: b64url(VALUE),
      hex,
      upperHex: hex.toUpperCase(),
      query: `https://api.example/x?key=${encodeURIComponent(VALUE)}&n=1`,
      lowerQuery: `key=${encodeURIComponent(VALUE).replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase())}`,
      form: new URLSearchParams({ key: VALUE }).toString(),
    };
    const stored = redact(result);
    const text = JSON.stringify(stored);
    for (const form of encodedForms(VALUE))
      assert.ok(!text.includes(form.text), `${form.encoding} stayed: ${text}`);
    assert.match(stored.standalone, /^\[secret API_TOKEN base64\]/);
    assert.match(stored.urlSafe, /^\[secret API_TOKEN base64url\]/);
    assert.equal(stored.hex, '[secret API_TOKEN hex]');
    assert.equal(stored.upperHex, '[secret API_TOKEN HEX]');
    assert.equal(stored.query, 'https://api.example/x?key=[secret API_TOKEN url]&n=1');
    assert.equal(stored.lowerQuery, 'key=[secret API_TOKEN url-lower]');
    assert.equal(stored.form, 'key=[secret API_TOKEN form]');
    assert.deepEqual(reveal(stored), result);
  });

  it('finds the value inside a larger base64 text at each of the three alignments (a Basic header)', () => {
    for (const [user, encoding] of [
      ['ab:', 'base64'],
      ['abc:', 'base64:1'],
      ['abcd:', 'base64:2'],
    ] as const) {
      const encoded = b64(`${user}${VALUE}`);
      const { first, end } = valueChars(user.length, Buffer.byteLength(VALUE));
      // What stays are the user's characters and the edges, which carry at most 6 bits of the value's
      // first and last byte each.
      assert.equal(
        redact(`Basic ${encoded}`),
        `Basic ${encoded.slice(0, first)}[secret API_TOKEN ${encoding}]${encoded.slice(end)}`,
      );
      assert.equal(
        reveal(`Basic ${encoded.slice(0, first)}[secret API_TOKEN ${encoding}]${encoded.slice(end)}`),
        `Basic ${encoded}`,
      );
    }
  });

  it('leaves the encodings of a value shorter than 8 bytes alone (they match ordinary text by chance)', () => {
    const short = 'k3y-ab7';
    assert.equal(Buffer.byteLength(short), MIN_ENCODED_SECRET_BYTES - 1);
    const { redact: r } = scrubbers(short);
    assert.equal(r(`${b64(short)} ${short}`), `${b64(short)} [secret API_TOKEN]`);
    assert.deepEqual(encodedForms(short), []);
  });

  it('property: any value of 8+ bytes, inside any base64 text, is scrubbed and revealed back exactly', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 8, maxLength: 40 }),
        fc.uint8Array({ maxLength: 12 }),
        fc.uint8Array({ maxLength: 12 }),
        fc.boolean(),
        (value, before, after, urlSafe) => {
          const { redact: r, reveal: v } = scrubbers(value);
          const whole = Buffer.concat([before, Buffer.from(value), after]);
          const text = urlSafe ? b64url(whole) : b64(whole);
          const stored = r(text);
          const { first, end } = valueChars(before.length, Buffer.byteLength(value));
          assert.ok(!stored.includes(text.slice(first, end)), `${text.slice(first, end)} in ${stored}`);
          assert.equal(v(stored), text);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the log scrubs the encoded forms too', () => {
    const log = new LogSecrets([VALUE]);
    const line = JSON.stringify({
      msg: 'echo',
      body: `Basic ${b64(`abc:${VALUE}`)} ${Buffer.from(VALUE).toString('hex')}`,
    });
    const scrubbed = log.scrub(line);
    for (const form of encodedForms(VALUE)) assert.ok(!scrubbed.includes(form.text), scrubbed);
    assert.equal(scrubbed, '{"msg":"echo","body":"Basic YWJjOn[secret]Q== [secret]"}');
  });

  it('costs one search per form: 10 secrets over a 1 MB result stay well under a second', () => {
    const values = Array.from({ length: 10 }, (_, i) => `secret-value-${i}-${'x'.repeat(i)}/+?`);
    const env = Object.fromEntries(values.map((v, i) => [`S${i}`, v]));
    const secrets = loadSecrets({ name: 'r', secrets: Object.keys(env), secretsFile: undefined }, env);
    const r = redactorFor(secrets)!;
    const big = b64(Buffer.alloc(750_000, 7));
    const started = performance.now();
    for (let i = 0; i < 5; i++) r({ body: big });
    const perMb = (performance.now() - started) / 5;
    assert.ok(perMb < 1000, `${perMb} ms per 1 MB`);
  });
});
