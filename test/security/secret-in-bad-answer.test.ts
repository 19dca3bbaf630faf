// A final answer that is not JSON, with a secret's value where the parser stops: the error the run fails
// with (stored, printed, shown) must not quote a piece of the value. V8's JSON.parse message quotes ten
// characters either side of the error, and redaction recognises whole values only.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const VALUE = 'sk-live-SUPERSECRET-12345';
// Any 6 consecutive characters of the value (its first ten were what leaked).
const pieces = Array.from({ length: VALUE.length - 5 }, (_, i) => VALUE.slice(i, i + 6));

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

describe('secrets in an answer that is not JSON', () => {
  it('the OUTPUT_INVALID error names where the JSON broke, not the text around it', async () => {
    const bad = `{"a": 1, "b": ${VALUE} }`;
    const r = writeTestRole({
      name: 'bad-answer',
      autonomy: 'full',
      ledgerTools: false,
      turns: [{ text: bad }, { text: bad }],
      output: { type: 'object', required: ['summary'], properties: { summary: { type: 'string' } } },
      extra: { secrets: ['API_TOKEN'], secretsFile: './secrets.env' },
    });
    made.push(r);
    writeFileSync(join(r.dir, 'secrets.env'), `API_TOKEN=${VALUE}\n`);
    const res = await runCli(['run', r.file, '--json', '--data-dir', r.dataDir]);
    assert.equal(res.code, 1, res.stderr);
    const summary = json<{ runId: string; error: { code: string; message: string } }>(res);
    assert.equal(summary.error.code, 'OUTPUT_INVALID');
    // Still says what is wrong: not JSON, and which character.
    assert.match(summary.error.message, /the answer is not JSON \(Unexpected token 's'/);
    const show = await runCli(['show', summary.runId, '--json', '--data-dir', r.dataDir]);
    const showText = await runCli(['show', summary.runId, '--data-dir', r.dataDir]);
    for (const text of [res.stdout, res.stderr, show.stdout, showText.stdout])
      for (const piece of pieces)
        assert.ok(!text.includes(piece), `output holds "${piece}" of the secret:\n${text}`);
    for (const f of readdirSync(r.dataDir)) {
      const bytes = readFileSync(join(r.dataDir, f));
      for (const piece of pieces)
        assert.equal(bytes.indexOf(piece), -1, `${f} holds "${piece}" of the secret`);
    }
  });
});
