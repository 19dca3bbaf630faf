// The scripted model answers by turn index taken from the request, so it is stateless and resume-safe.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
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
  - final: { summary: done }
`,
);

const request = (assistantTurns: number): ModelRequest => {
  const messages: Message[] = [{ role: 'user', content: 'go' }];
  for (let i = 0; i < assistantTurns; i++)
    messages.push({ role: 'assistant', text: '', calls: [] }, { role: 'user', content: 'more' });
  return { system: 's', messages, tools: [] };
};

describe('scripted model', () => {
  const model = createScriptedModel(file);

  it('is labelled as scripted', () => {
    assert.equal(model.provider, 'script');
    assert.equal(model.spec, `script:${file}`);
  });

  it('answers turn N from the number of assistant messages, in any order', async () => {
    const third = await model.turn(request(2));
    assert.deepEqual(third.calls, [
      { id: 'call_2_0', tool: 'escalate', args: { category: 'money', reason: 'too much' } },
    ]);
    const first = await model.turn(request(0));
    assert.deepEqual(first.calls, [{ id: 'call_0_0', tool: 'fs.read', args: { path: 'a.txt' } }]);
    assert.deepEqual(first.usage, { inputTokens: 12, outputTokens: 3, cachedInputTokens: 0, costUsd: 0.001 });
    const second = await model.turn(request(1));
    assert.equal(second.text, 'two at once');
    assert.deepEqual(
      second.calls.map((c) => c.tool),
      ['fs.read', 'fs.write'],
    );
    const last = await model.turn(request(3));
    assert.deepEqual(JSON.parse(last.text), { summary: 'done' });
    assert.equal(last.stopReason, 'end');
  });

  it('says so when the script runs out', async () => {
    await assert.rejects(model.turn(request(4)), {
      code: 'SCRIPT_EXHAUSTED',
      message: /has 4 turns; the run asked for turn 5/,
    });
  });

  it('returns fresh objects (callers may mutate them)', async () => {
    const a = await model.turn(request(0));
    (a.calls[0]!.args as Record<string, unknown>).path = 'changed';
    const b = await model.turn(request(0));
    assert.deepEqual(b.calls[0]!.args, { path: 'a.txt' });
  });
});
