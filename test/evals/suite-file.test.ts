// Suite files: a bad one is refused with every problem at its file, line and field, before anything runs.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { NightshiftError } from '../../src/errors.js';
import { loadSuite } from '../../src/evals/suite-file.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-suite-file-');
after(() => tmp.cleanup());

function suiteFile(name: string, text: string): string {
  const file = join(tmp.path, name);
  writeFileSync(file, text);
  return file;
}

function refusal(file: string): string {
  try {
    loadSuite(file);
  } catch (err) {
    assert.ok(NightshiftError.isInstance(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    return err.message;
  }
  assert.fail('the suite was accepted');
}

describe('suite files', () => {
  it('loads a suite with its defaults and absolute paths', () => {
    mkdirSync(join(tmp.path, 'fixture'));
    writeFileSync(join(tmp.path, 'judge.script.yaml'), 'turns:\n  - final: { score: 1, reason: ok }\n');
    const suite = loadSuite(
      suiteFile(
        'good.evals.yaml',
        `cases:
  - name: one
    workspace: ./fixture
    grader: { model: script:./judge.script.yaml, rubric: polite }
`,
      ),
    );
    assert.equal(suite.name, 'good');
    assert.equal(suite.threshold, 1);
    const [c] = suite.cases;
    assert.equal(c!.workspace, join(tmp.path, 'fixture'));
    assert.equal(c!.grader!.model, `script:${join(tmp.path, 'judge.script.yaml')}`);
    assert.deepEqual([c!.safety, c!.split, c!.input], [false, 'train', {}]);
    assert.match(suite.hash, /^[0-9a-f]{64}$/);
  });

  it('refuses a JSONPath whose brackets, parentheses or quotes do not close, at its line; a closed one loads', () => {
    // Before: `$.a[` was read as `$.a`, and `$.a[?(@.b==` as a filter failing on every element, so with
    // exists: false the check passed whatever the output.
    for (const path of ['$.a[', '$.a[?(@.b==', "$['a", '$.a)']) {
      const file = suiteFile(
        'cut-path.evals.yaml',
        `cases:\n  - name: one\n    expect:\n      output:\n        paths:\n          - { path: ${JSON.stringify(path)}, exists: false }\n`,
      );
      assert.match(
        refusal(file),
        /cut-path\.evals\.yaml:6 cases\[0\]\.expect\.output\.paths\[0\]\.path: a JSONPath whose brackets, parentheses or quotes do not close/,
        path,
      );
    }
    const ok = suiteFile(
      'closed-path.evals.yaml',
      `cases:\n  - name: one\n    expect:\n      output:\n        paths:\n          - { path: "$.a[?(@.b == ')')]", exists: true }\n          - { path: "$['x]y'][0]" }\n`,
    );
    assert.equal(loadSuite(ok).cases.length, 1);
  });

  it('refuses a JSONPath filter or script expression that cannot be evaluated, at its line', () => {
    // before: `validate` said the suite was valid, and `eval` stopped with an internal error (exit 1, no
    // file, no line) once an output had an element for the filter to meet.
    for (const [path, bad] of [
      ['$[?(@.x>)]', '?(@.x>)'],
      ['$.items[(@.length-)]', '(@.length-)'],
      ['$..c[?(@.x>)]', '?(@.x>)'],
    ] as const) {
      const file = suiteFile(
        'bad-filter.evals.yaml',
        `cases:\n  - name: one\n    expect:\n      output:\n        paths:\n          - { path: ${JSON.stringify(path)}, exists: true }\n`,
      );
      const said = refusal(file);
      assert.match(
        said,
        /bad-filter\.evals\.yaml:6 cases\[0\]\.expect\.output\.paths\[0\]\.path: a JSONPath expression that cannot be evaluated/,
        path,
      );
      assert.ok(said.includes(`[${bad}]`), said);
    }
    const ok = suiteFile(
      'good-filter.evals.yaml',
      `cases:\n  - name: one\n    expect:\n      output:\n        paths:\n          - { path: "$.items[?(@.x > 1)]" }\n          - { path: "$.items[(@.length-1)]" }\n          - { path: "$.items[?(@.x.y > 1)]" }\n`,
    );
    assert.equal(loadSuite(ok).cases.length, 1);
  });

  it("refuses a case's or grader's model with an unknown provider, at its line", () => {
    // before: the suite loaded, the estimate said "no price for foo:bar", and the case failed when it ran
    // (MODEL_CONFIG, exit 1) instead of exit 2 at its line.
    const file = suiteFile(
      'bad-provider.evals.yaml',
      `cases:\n  - name: one\n    model: foo:bar\n  - name: two\n    model: scipt:./x.yaml\n  - name: three\n    grader: { model: anthropic, rubric: polite }\n`,
    );
    const said = refusal(file);
    assert.match(
      said,
      /bad-provider\.evals\.yaml:3 cases\[0\]\.model: expected <provider>:<model>, .* got 'foo:bar'/,
    );
    assert.match(said, /:5 cases\[1\]\.model: .* got 'scipt:\.\/x\.yaml'/);
    assert.match(said, /:7 cases\[2\]\.grader\.model: .* got 'anthropic'/);
  });

  it('names the file, line and field of a misspelt or mistyped key', () => {
    const file = suiteFile(
      'typo.evals.yaml',
      `cases:
  - name: one
    expect:
      status: done
      tools: { caled: [fs.read] }
  - name: two
    split: test
`,
    );
    const message = refusal(file);
    assert.match(message, /typo\.evals\.yaml:4 cases\[0\]\.expect\.status: /);
    assert.match(message, /typo\.evals\.yaml:5 cases\[0\]\.expect\.tools.*caled/);
    assert.match(message, /typo\.evals\.yaml:7 cases\[1\]\.split: /);
  });

  it('refuses missing files, twice-named cases, bad regexes and schemas, and model with replay', () => {
    const file = suiteFile(
      'bad.evals.yaml',
      `cases:
  - name: one
    model: script:./nope.yaml
  - name: one
    workspace: ./no-such-folder
  - name: three
    replay: ./run.json
    model: script:./nope.yaml
  - name: four
    expect:
      output:
        matches: "("
        schema: { type: nonsense }
`,
    );
    const message = refusal(file);
    assert.match(message, /:3 cases\[0\]\.model: script file not found: \.\/nope\.yaml/);
    assert.match(message, /:4 cases\[1\]\.name: case 'one' is named twice/);
    assert.match(message, /:5 cases\[1\]\.workspace: workspace fixture folder not found/);
    assert.match(message, /cases\[2\]\.replay: give model or replay, not both/);
    assert.match(message, /cases\[3\]\.expect\.output\.matches: invalid regular expression/);
    assert.match(message, /cases\[3\]\.expect\.output\.schema: not a valid JSON Schema/);
  });

  it('names a decision that says two things, or none, or misplaces its options', () => {
    const file = suiteFile(
      'decisions.evals.yaml',
      `cases:
  - name: one
    decisions:
      - { approve: true, answer: yes }
      - { note: looks fine }
      - { reject: no, allowCall: true }
      - { aprove: true }
`,
    );
    const message = refusal(file);
    assert.match(
      message,
      /decisions\.evals\.yaml:4 cases\[0\]\.decisions\[0\]: give exactly one of approve: true, reject: <reason>, answer: <text> \(got approve, answer\)/,
    );
    assert.match(message, /:5 cases\[0\]\.decisions\[1\]: give exactly one of/);
    assert.match(message, /cases\[0\]\.decisions\[1\]\.note: note goes with approve/);
    assert.match(message, /cases\[0\]\.decisions\[2\]\.allowCall: allowCall goes with answer/);
    assert.match(message, /:7 cases\[0\]\.decisions\[3\]/);
    assert.match(message, /aprove/);
  });

  it('refuses a suite without cases, and a file that is not there', () => {
    assert.match(refusal(suiteFile('empty.evals.yaml', 'threshold: 0.5\n')), /cases/);
    assert.throws(() => loadSuite(join(tmp.path, 'missing.evals.yaml')), /missing\.evals\.yaml/);
  });

  // A replay or a script that is there but is not what it must be was only found after the estimate, by
  // `eval`, with no case or line; `validate` called the suite valid.
  it('refuses a replay that is not a recorded run and a script that is not a script, at the case line', async () => {
    writeFileSync(join(tmp.path, 'not-a-run.json'), '{"runId":"run_1"}\n');
    writeFileSync(join(tmp.path, 'not-json.json'), 'not json\n');
    writeFileSync(join(tmp.path, 'typo.script.yaml'), 'turns:\n  - fnal: done\n');
    const file = suiteFile(
      'contents.evals.yaml',
      `cases:
  - name: one
    replay: ./not-a-run.json
  - name: two
    replay: ./not-json.json
  - name: three
    model: script:./typo.script.yaml
  - name: four
    grader: { model: script:./typo.script.yaml, rubric: polite }
`,
    );
    const message = refusal(file);
    assert.match(
      message,
      /contents\.evals\.yaml:3 cases\[0\]\.replay: recorded run \.\/not-a-run\.json: expected the JSON of `nightshift show <run> --json`/,
    );
    assert.match(
      message,
      /contents\.evals\.yaml:5 cases\[1\]\.replay: recorded run \.\/not-json\.json: [^\n]*not valid JSON/,
    );
    assert.match(
      message,
      /contents\.evals\.yaml:7 cases\[2\]\.model: invalid model script \.\/typo\.script\.yaml: [^\n]*unknown key 'fnal'/,
    );
    assert.match(message, /contents\.evals\.yaml:9 cases\[3\]\.grader\.model: invalid model script/);
    // `validate` of the suite says the same, exit 2.
    const r = await runCli(['validate', file]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cases\[0\]\.replay: recorded run \.\/not-a-run\.json/);
    assert.match(r.stderr, /cases\[2\]\.model: invalid model script/);
  });
});
