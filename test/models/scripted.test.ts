// The scripted model answers by turn index taken from the request, so it is stateless and resume-safe.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, describe, it } from 'node:test';
import { RoleInvalidError } from '../../src/errors.js';
import { createScriptedModel } from '../../src/models/script/index.js';
import type { Message, ModelRequest } from '../../src/models/types.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-script-');
after(() => tmp.cleanup());
const file = join(tmp.path, 's.yaml');
writeFileSync(
  file,
  `turns:
  - call: fs.read
    args: { path: a.txt }
    usage: { inputTokens: 12, outputTokens: 3, costUsd: 0.001 }
  - say: two at once
    calls: [{ tool: fs.read, args: { path: b } }, { tool: fs.write, args: { path: c, content: d } }]
  - escalate: { category: money, reason: too much }
  - escalate: { category: ambiguous, reason: which order?, missing: the order id }
  - text: plain text answer
  - final: { summary: done }
`,
);

const request = (assistantTurns: number): ModelRequest => {
  const messages: Message[] = [{ role: 'user', content: 'go' }];
  for (let i = 0; i < assistantTurns; i++)
    messages.push({ role: 'assistant', text: '', calls: [] }, { role: 'user', content: 'more' });
  return { system: 's', messages, tools: [] };
};

function scriptIssues(name: string, text: string) {
  const path = join(tmp.path, name);
  writeFileSync(path, text);
  try {
    createScriptedModel(path);
  } catch (err) {
    assert.ok(err instanceof RoleInvalidError, `expected RoleInvalidError, got ${err}`);
    return err.issues.map((i) => [i.line, i.path, i.message]);
  }
  assert.fail('the script was accepted');
}

describe('scripted model', () => {
  const model = createScriptedModel(file);

  it('is labelled as scripted, with the absolute path in its spec', () => {
    assert.equal(model.provider, 'script');
    assert.equal(model.spec, `script:${file}`);
    assert.equal(createScriptedModel(relative(process.cwd(), file)).spec, `script:${file}`);
  });

  it('answers turn N from the number of assistant messages, in any order', async () => {
    const third = await model.turn(request(2));
    assert.deepEqual(third.calls, [
      { id: 'call_2_0', tool: 'escalate', args: { category: 'money', reason: 'too much' } },
    ]);
    const first = await model.turn(request(0));
    assert.deepEqual(first.calls, [{ id: 'call_0_0', tool: 'fs.read', args: { path: 'a.txt' } }]);
    assert.equal(first.stopReason, 'tool_calls');
    assert.deepEqual(first.usage, { inputTokens: 12, outputTokens: 3, cachedInputTokens: 0, costUsd: 0.001 });
    const second = await model.turn(request(1));
    assert.equal(second.text, 'two at once');
    assert.deepEqual(
      second.calls.map((c) => [c.id, c.tool]),
      [
        ['call_1_0', 'fs.read'],
        ['call_1_1', 'fs.write'],
      ],
    );
    assert.deepEqual(second.usage, { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costUsd: 0 });
  });

  it('turns escalate into a call of the escalate tool, with missing when given', async () => {
    const fourth = await model.turn(request(3));
    assert.deepEqual(fourth.calls, [
      {
        id: 'call_3_0',
        tool: 'escalate',
        args: { category: 'ambiguous', reason: 'which order?', missing: 'the order id' },
      },
    ]);
  });

  it('answers text as is, and final as JSON text with no calls', async () => {
    const text = await model.turn(request(4));
    assert.deepEqual([text.text, text.calls, text.stopReason], ['plain text answer', [], 'end']);
    const final = await model.turn(request(5));
    assert.deepEqual(JSON.parse(final.text), { summary: 'done' });
    assert.deepEqual([final.calls, final.stopReason], [[], 'end']);
  });

  it('serves concurrent runs from one object', async () => {
    const order = Array.from({ length: 60 }, (_, i) => i % 6);
    const answers = await Promise.all(order.map((n) => model.turn(request(n))));
    for (const [i, answer] of answers.entries())
      assert.deepEqual(answer, await model.turn(request(order[i]!)));
  });

  it('says so when the script runs out', async () => {
    await assert.rejects(model.turn(request(6)), {
      code: 'SCRIPT_EXHAUSTED',
      message: `script ${file} has 6 turns; the run asked for turn 7`,
    });
  });

  it('returns fresh objects (callers may mutate them)', async () => {
    const a = await model.turn(request(0));
    (a.calls[0]!.args as Record<string, unknown>).path = 'changed';
    const b = await model.turn(request(0));
    assert.deepEqual(b.calls[0]!.args, { path: 'a.txt' });
  });

  it('reads the script again when it has changed', async () => {
    const path = join(tmp.path, 'changing.yaml');
    writeFileSync(path, 'turns:\n  - text: one\n');
    assert.equal((await createScriptedModel(path).turn(request(0))).text, 'one');
    writeFileSync(path, 'turns:\n  - text: three\n');
    assert.equal((await createScriptedModel(path).turn(request(0))).text, 'three');
  });
});

describe('a bad script file', () => {
  it('reports a turn with two kinds of answer, at its line', () => {
    assert.deepEqual(scriptIssues('two.yaml', 'turns:\n  - text: hi\n  - call: fs.read\n    final: 1\n'), [
      [
        3,
        'turns[1]',
        'a turn has exactly one of call, calls, escalate, final or text; this one has call and final',
      ],
    ]);
  });

  it('reports every problem at once, with the same messages as role files', () => {
    assert.deepEqual(
      scriptIssues(
        'many.yaml',
        [
          'turns:',
          '  - cal: fs.read',
          '  - calls: []',
          '  - escalate: { category: money }',
          '  - text: done',
          '    usage: { inputTokens: many }',
          '  - say: hello',
          '    final: {}',
        ].join('\n'),
      ),
      [
        [2, 'turns[0].cal', "unknown key 'cal' (did you mean 'call'?)"],
        [2, 'turns[0]', 'a turn needs one of call, calls, escalate, final or text'],
        [3, 'turns[1].calls', 'must not be empty'],
        [4, 'turns[2].escalate.reason', 'required'],
        [6, 'turns[3].usage.inputTokens', 'expected number, got string'],
        [7, 'turns[4].say', 'say goes with call, calls or escalate; for an answer use text or final alone'],
      ],
    );
  });

  it('reports an empty script and a missing file', () => {
    assert.deepEqual(scriptIssues('empty.yaml', 'turns: []\n'), [[1, 'turns', 'must not be empty']]);
    assert.throws(() => createScriptedModel(join(tmp.path, 'absent.yaml')), {
      code: 'MODEL_CONFIG',
      message: /script file not found: .*absent\.yaml/,
    });
  });
});
