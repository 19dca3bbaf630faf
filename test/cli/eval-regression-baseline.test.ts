// A regression is never laundered through the baseline (docs/evals.md "Pass rates, repeats and the
// baseline"): an eval that regressed exits 1 and is stored as failed, so the next version with the same
// regression is still judged against the last version that passed the case. Real CLI, real SQLite store,
// scripted models.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-eval-launder-');
after(() => tmp.cleanup());

describe('eval: a regression stays one', () => {
  it('judges the next version with the same regression against the last version that passed', async () => {
    // before: version 2 regressed (exit 1) but was stored as passed (it met the 0.5 threshold); version
    // 3, the same as version 2, took it as its baseline: "nothing regressed", PASSED, exit 0.
    const dir = tmp.path;
    mkdirSync(join(dir, 'ws'));
    writeFileSync(join(dir, 'good.yaml'), 'turns:\n  - final: { x: 1 }\n');
    writeFileSync(join(dir, 'bad.yaml'), 'turns:\n  - final: { x: 2 }\n');
    writeFileSync(join(dir, 'bad-too.yaml'), 'turns:\n  - final: { x: 2 }\n# another version\n');
    writeFileSync(
      join(dir, 'calc.evals.yaml'),
      'threshold: 0.5\ncases:\n  - name: a\n    expect: { output: { includes: { x: 1 } } }\n  - name: b\n    model: script:./good.yaml\n',
    );
    const role = (script: string) =>
      writeFileSync(
        join(dir, 'calc.yaml'),
        `name: calc\ndescription: t\nautonomy: observe\nmodel: script:./${script}\ninstructions: x\ntools: [fs.read]\nworkspace: ./ws\nevals: ./calc.evals.yaml\n`,
      );
    const evalNow = () => runCli(['eval', join(dir, 'calc.yaml'), '--data-dir', join(dir, 'data')]);
    role('good.yaml');
    const v1 = await evalNow();
    assert.equal(v1.code, 0, v1.stdout + v1.stderr);
    role('bad.yaml');
    const v2 = await evalNow();
    assert.equal(v2.code, 1, v2.stdout);
    assert.match(v2.stdout, /regressed: a/);
    role('bad-too.yaml');
    const v3 = await evalNow();
    assert.match(v3.stdout, /regressed: a/);
    assert.equal(v3.code, 1, v3.stdout);
    // `versions` says what the exit code said: version 2 failed.
    const versions = await runCli(['versions', join(dir, 'calc.yaml'), '--data-dir', join(dir, 'data')]);
    assert.match(versions.stdout, /failed 50%/, versions.stdout);
    assert.doesNotMatch(versions.stdout, /passed 50%/, versions.stdout);
  });
});
