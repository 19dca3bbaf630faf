// A secrets file's lines are NAME=VALUE: one without a name before "=" is refused with CONFIG_INVALID
// naming the file and the line (never quoting it: it may hold a value), rather than skipped, which left a
// declared secret unset without a word. A real file, and a real `nightshift run`.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadSecrets } from '../../src/tools/secrets.js';
import { runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const role = testRoles();

describe('a secrets file line that is not NAME=VALUE', () => {
  // before: each such line was skipped; API_TOKEN stayed unset and the run went on without it.
  it('is CONFIG_INVALID naming the file and the line, without its text', () => {
    const tmp = tempDir('nightshift-secrets-lines-');
    try {
      const file = join(tmp.path, 'secrets.env');
      const load = () => loadSecrets({ name: 'r', secrets: ['API_TOKEN'], secretsFile: file }, {});
      writeFileSync(file, '# tokens\n\nOTHER=1\nAPI_TOKEN: tok-9f3e-never-shown\n');
      assert.throws(load, (err: Error & { code?: string }) => {
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /its secrets file .*secrets\.env, line 4: no "=": write NAME=VALUE/);
        assert.doesNotMatch(err.message, /tok-9f3e/);
        return true;
      });
      writeFileSync(file, 'API_TOKEN=ok\n = tok-9f3e-never-shown\n');
      assert.throws(load, /line 2: no name before "="/);
      // What was always accepted still is: comments, blank lines, `export`, quotes, an empty value.
      writeFileSync(file, '# c\n\nexport API_TOKEN="tok 1"\r\nEMPTY=\n');
      assert.equal(load().get('API_TOKEN'), 'tok 1');
    } finally {
      tmp.cleanup();
    }
  });

  it('stops `nightshift run` before the run starts (exit 2)', async () => {
    const r = role({
      autonomy: 'full',
      turns: [{ final: { summary: 'done' } }],
      extra: { secrets: ['API_TOKEN'], secretsFile: './secrets.env' },
    });
    writeFileSync(join(r.dir, 'secrets.env'), 'tok-9f3e-never-shown\n');
    const res = await runCli(['run', r.file, '--data-dir', r.dataDir]);
    assert.equal(res.code, 2, res.stderr + res.stdout);
    assert.match(res.stderr, /\[CONFIG_INVALID\].*secrets\.env, line 1: no "="/);
    assert.doesNotMatch(res.stderr + res.stdout, /tok-9f3e/);
  });
});
