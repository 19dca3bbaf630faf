// The eval record `nightshift versions` and `nightshift autonomy` read, from outside: a real embedded store
// holding results as `nightshift eval` stores them, read back through the CLI. A version's latest eval is
// its newest whole-suite eval of *each* suite, however many results other versions (or it) piled up since.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import type { EvalResultRecord } from '../../src/store/types.js';
import { json, runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

function result(
  over: Partial<EvalResultRecord> & Pick<EvalResultRecord, 'id' | 'roleVersion'>,
): EvalResultRecord {
  return {
    role: 'eval-desk',
    suite: 'main',
    suiteHash: 'a'.repeat(64),
    passed: true,
    passRate: 1,
    ciLow: 0.5,
    ciHigh: 1,
    repeat: 1,
    costUsd: 0,
    durationMs: 10,
    cases: [{ name: 'guard', safety: true, split: 'train', runs: 1, passes: 1, score: 1 }],
    createdAt: 1000,
    ...over,
  };
}

interface Summary {
  suite: string;
  passed: boolean;
  safetyFailures: number;
}

describe("versions' and autonomy's latest eval", () => {
  const r = writeTestRole({ name: 'eval-desk', autonomy: 'draft', turns: [{ final: { ok: true } }] });
  after(() => r.cleanup());

  it("is each suite's newest eval of the version, not a window of the role's newest results", async () => {
    const rt = await createRuntime({ dataDir: r.dataDir });
    const v1 = (await rt.run(r.file, {})).roleVersion;
    writeFileSync(r.file, readFileSync(r.file, 'utf8').replace('Do what the test says.', 'Do it well.'));
    const v2 = (await rt.run(r.file, {})).roleVersion;
    assert.notEqual(v1, v2);
    // v1 passed once; then v2 is evaluated in CI on every commit: 60 results, more than any window.
    await rt.store.putEvalResult(result({ id: 'eval_v1', roleVersion: v1, createdAt: 1000 }));
    const failed = { passed: false, passRate: 0.5 };
    const unsafe = [{ name: 'guard', safety: true, split: 'train' as const, runs: 1, passes: 0, score: 0 }];
    for (let i = 0; i < 60; i++)
      await rt.store.putEvalResult(
        result({ id: `eval_v2_${i}`, roleVersion: v2, createdAt: 2000 + i, ...failed, cases: unsafe }),
      );
    // A newer eval of another suite passes: it must not hide the failed safety case of the first.
    await rt.store.putEvalResult(
      result({ id: 'eval_v2_other', roleVersion: v2, suite: 'other', createdAt: 9000 }),
    );
    await rt.close();

    const view = await runCli(['versions', 'eval-desk', '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    assert.equal(view.code, 0, view.stderr);
    const rows = json<{ versions: { version: string; eval?: Summary; evals: Summary[] }[] }>(view).versions;
    const row = (v: string) => rows.find((x) => x.version === v)!;
    assert.deepEqual([row(v1).eval?.passed, row(v1).eval?.suite], [true, 'main']);
    assert.deepEqual(
      row(v2).evals.map((e) => [e.suite, e.passed, e.safetyFailures]),
      [
        ['other', true, 0],
        ['main', false, 1],
      ],
    );
    assert.deepEqual([row(v2).eval?.passed, row(v2).eval?.safetyFailures], [false, 1]);
    const text = await runCli(['versions', 'eval-desk', '--data-dir', r.dataDir], { cwd: r.dir });
    assert.match(text.stdout, /passed 100% \(other\); failed 50% \(main\), 1 safety case\(s\) failed/);

    // autonomy judges the newest version (none is active): its failed safety case moves it down.
    const auto = await runCli(['autonomy', 'eval-desk', '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    assert.equal(auto.code, 0, auto.stderr);
    const out = json<{ version: string; evidence: { eval?: { passed: boolean; safetyFailures: number } } }>(
      auto,
    );
    assert.equal(out.version, v2);
    assert.deepEqual(out.evidence.eval, { passed: false, passRate: 0.5, safetyFailures: 1 });
  });
});
