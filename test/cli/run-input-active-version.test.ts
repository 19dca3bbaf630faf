// `run` checks its input before opening the store so that refused input makes no store, but a run gets
// the role's *active* version when one was promoted (versions.source: active, the default), whose input
// schema may differ from the file's as edited since: the early check must not refuse input that the
// version which will run accepts.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('run: the input is judged by the version that runs', () => {
  it('input valid for the active version runs although the edited file would refuse it', async () => {
    const r = writeTestRole({
      name: 'input-bot',
      autonomy: 'full',
      tools: [],
      turns: [{ final: {} }],
      extra: { input: { type: 'object', required: ['a'] } },
    });
    try {
      const data = ['--data-dir', r.dataDir];
      const listed = await runCli(['versions', r.file, '--json', ...data]);
      assert.equal(listed.code, 0, listed.stderr);
      const version = json<{ versions: { version: string }[] }>(listed).versions[0]!.version;
      const asked = await runCli(['promote', 'input-bot', version, '--as', 'alice', '--json', ...data]);
      assert.equal(asked.code, 3, asked.stderr);
      const id = json<{ promotion: { id: string } }>(asked).promotion.id;
      const approved = await runCli(['approve', id, '--as', 'bob', ...data]);
      assert.equal(approved.code, 0, approved.stderr);
      // The file now asks for `b` instead: not promoted, so runs still get the version that asks for `a`.
      writeFileSync(r.file, readFileSync(r.file, 'utf8').replace('- a', '- b'));
      assert.match(readFileSync(r.file, 'utf8'), /- b/);
      const ran = await runCli(['run', r.file, '--input', '{"a":1}', '--json', ...data]);
      assert.equal(ran.code, 0, ran.stderr);
      assert.equal(json<{ status: string }>(ran).status, 'succeeded');
      // And the active version's own refusal still comes (from the run's check, after the store opened).
      const refused = await runCli(['run', r.file, '--input', '{"b":1}', '--json', ...data]);
      assert.equal(refused.code, 2, refused.stdout);
      assert.match(refused.stderr, /INPUT_INVALID/);
    } finally {
      r.cleanup();
    }
  });
});
