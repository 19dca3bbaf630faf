// A tool's scope function answers from tool code (a library user's defineTool): anything but one of the three
// verdicts is taken as outside, never as "unscoped", which `full` allows. Before, `{ allowed: false }` (or a
// forgotten return) let the call run at `full` and was denied at `sandbox` for the wrong reason.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { z } from 'zod';
import { createRuntime, defineRole, defineTool } from '../../src/index.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nightshift-scope-verdict-'));
  writeFileSync(join(dir, 's.yaml'), 'turns:\n  - call: t.act\n    args: { x: 50 }\n  - final: done\n');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function callWith(scope: () => unknown, autonomy: 'full' | 'sandbox') {
  const ran: number[] = [];
  const tool = defineTool({
    name: 't.act',
    description: 'acts',
    input: z.object({ x: z.number() }),
    effect: 'external',
    scope: scope as never,
    run: ({ x }) => {
      ran.push(x);
      return { ok: true };
    },
  });
  const role = defineRole(
    { name: 'r', description: 'd', autonomy, model: 'script:s.yaml', instructions: 'i', tools: [tool] },
    { dir },
  );
  const runtime = await createRuntime({ dataDir: join(dir, `data-${autonomy}-${Math.random()}`) });
  try {
    const r = await runtime.run(role, {});
    const snapshot = await runtime.get(r.runId);
    const call = snapshot!.toolCalls[0]!;
    return { ran, decision: call.decision, reason: call.reason };
  } finally {
    await runtime.close();
  }
}

for (const [label, verdict] of [
  ['{ allowed: false }', () => ({ allowed: false })],
  ['undefined (a forgotten return)', () => undefined],
  ["a misspelt kind 'inisde'", () => ({ kind: 'inisde' })],
  ['outside without a reason', () => ({ kind: 'outside' })],
  ['inside with a canonical that is not an object', () => ({ kind: 'inside', canonical: 'x' })],
] as const) {
  for (const autonomy of ['full', 'sandbox'] as const) {
    test(`a scope check answering ${label} denies the call at ${autonomy}, saying what came back`, async () => {
      const { ran, decision, reason } = await callWith(verdict, autonomy);
      assert.deepEqual(ran, [], 'the tool did not run');
      assert.equal(decision, 'deny');
      assert.match(reason ?? '', /t\.act's scope check gave no verdict/);
    });
  }
}

test('the three verdicts keep their meaning: inside and unscoped run at full, outside is denied with its reason', async () => {
  assert.deepEqual((await callWith(() => ({ kind: 'inside' }), 'full')).ran, [50]);
  assert.deepEqual((await callWith(() => ({ kind: 'unscoped' }), 'full')).ran, [50]);
  const outside = await callWith(() => ({ kind: 'outside', reason: 'not this one' }), 'full');
  assert.deepEqual(outside.ran, []);
  assert.match(outside.reason ?? '', /outside the role's scope: not this one/);
  // Unscoped stays denied at sandbox for what it is.
  const sandboxed = await callWith(() => ({ kind: 'unscoped' }), 'sandbox');
  assert.deepEqual(sandboxed.ran, []);
  assert.doesNotMatch(sandboxed.reason ?? '', /gave no verdict/);
});
