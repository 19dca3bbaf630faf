// Every kind of id is made with one prefix (clock.ts), and what reads an id's kind agrees with what made it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isPromotionId } from '../src/cli/commands/versions.js';
import { expectIdKind } from '../src/cli/id-kinds.js';
import { createIdSource, ID_PREFIX, type IdKind, isIdOf } from '../src/clock.js';
import { approvalOfManagerRun, escalationOfManagerRun, managerRunId } from '../src/managers/manager-for.js';

const ids = createIdSource();
const made = (kind: IdKind) => ids.next(ID_PREFIX[kind]);

describe('id prefixes', () => {
  it('recognises each kind of id by the prefix it was made with, and no other kind', () => {
    const kinds = Object.keys(ID_PREFIX) as IdKind[];
    for (const kind of kinds) {
      const id = made(kind);
      for (const other of kinds) assert.equal(isIdOf(other, id), other === kind, `${id} as ${other}`);
    }
    assert.equal(isPromotionId(made('promotion')), true);
    assert.equal(isPromotionId(made('approval')), false);
  });

  it('tells a command given an id of another kind which command takes it', () => {
    assert.throws(
      () => expectIdKind(made('approval'), 'run', 'nightshift'),
      /is an approval's id, not a run's/,
    );
    assert.throws(() => expectIdKind(made('promotion'), 'escalation', 'nightshift'), /is a promotion's id/);
    assert.doesNotThrow(() => expectIdKind(made('promotion'), 'approval', 'nightshift', ['promotion']));
    assert.doesNotThrow(() => expectIdKind('custom-id', 'run', 'nightshift'));
  });

  it("derives a manager run's id and subject from an escalation's or an approval's id", () => {
    const esc = made('escalation');
    const apr = made('approval');
    assert.equal(managerRunId(esc), `run_mgr_${esc.slice('esc_'.length)}`);
    assert.equal(managerRunId(apr), `run_mgr_${apr}`);
    const run = (subject: string) => ({ idempotencyKey: `manager:${subject}` });
    assert.equal(escalationOfManagerRun(run(esc)), esc);
    assert.equal(approvalOfManagerRun(run(esc)), undefined);
    assert.equal(approvalOfManagerRun(run(apr)), apr);
    assert.equal(escalationOfManagerRun(run(apr)), undefined);
  });
});
