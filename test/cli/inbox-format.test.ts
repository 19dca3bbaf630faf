// The inbox's hint for an escalation: a held call can be allowed once; a held result (a result rule) is of
// a call that has already run, for which --allow-call is refused, so the hint must not offer it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatInbox } from '../../src/cli/format.js';
import type { EscalationRecord } from '../../src/store/types.js';

const escalation = (source: string): EscalationRecord =>
  ({
    id: 'esc_1',
    runId: 'run_1',
    role: 'r',
    category: 'high_impact',
    reason: 'matched',
    missing: null,
    source,
    context: { call: { tool: 'notes.add_note', args: { text: 'x' } } },
  }) as unknown as EscalationRecord;

describe('inbox hints', () => {
  it('offers --allow-call for a held call and not for a held result', () => {
    assert.match(
      formatInbox([], [escalation('rule')]),
      /held call: notes\.add_note .*--allow-call runs it once/,
    );
    const held = formatInbox([], [escalation('result_rule')]);
    assert.doesNotMatch(held, /--allow-call/);
    assert.match(held, /held result of: notes\.add_note .*--withhold-result/);
  });
});
