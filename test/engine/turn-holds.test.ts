// A turn waits as a whole: while one call of a model turn is held for a person, the turn's other side
// effects wait with it (reads still run), and they run in order once the person lets the held call go.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});
const done = { final: { summary: 'done' } };

describe('a turn waits as a whole', () => {
  it('does not send the e-mail while the refund in the same turn waits for a manager', async () => {
    const r = writeTestRole({
      autonomy: 'full',
      tools: ['ledger.append', 'ledger.append_once', 'ledger.read'],
      turns: [
        {
          calls: [
            { tool: 'ledger.read', args: {} },
            { tool: 'ledger.append_once', args: { entry: 'email' } },
            { tool: 'ledger.append', args: { entry: 'refund', amount: 150 } },
          ],
        },
        done,
      ],
      escalation: [{ category: 'money', when: { tool: 'ledger.append', arg: 'amount', gt: 100 } }],
    });
    made.push(r);
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'escalated');
      assert.deepEqual(r.ledger(), [], 'a sibling side effect ran while the turn was held');
      const snap = (await rt.get(paused.runId))!;
      assert.equal(snap.toolCalls[0]!.status, 'succeeded', 'the read still ran');
      const result = await rt.answer(paused.escalations[0]!.id, 'approved', { by: 'mgr', allowCall: true });
      assert.equal(result.status, 'succeeded');
      assert.deepEqual(
        r.ledger().map((l) => l.split(' ')[0]),
        ['email', 'refund'],
      );
    } finally {
      await rt.close();
    }
  });
});
