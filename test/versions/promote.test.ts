// promote / rollback / grant / refuse against a real embedded store: a version that does not widen
// authority is promoted at once by a caller allowed for the role; one that widens waits for a person
// allowed for the role; rollback walks back through what was active; every step is in the audit log.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createIdSource } from '../../src/clock.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import {
  grantPromotion,
  type PromotionContext,
  promote,
  refusePromotion,
  rollback,
} from '../../src/versions/promote.js';
import { newRun, step } from '../contract/store.js';
import { tempDir } from '../support/tmp.js';

const people: PeopleDirectory = {
  people: [
    { name: 'alice', decides: ['desk-*'] },
    { name: 'mallory', decides: ['other-role'] },
  ],
  groups: {},
};

const spec = (autonomy: string, instructions: string, tools = ['fs.read']) => ({
  name: 'x',
  autonomy,
  instructions,
  tools,
  toolModules: [],
  escalation: [],
});

let t = 1000;
const clock = { now: () => t++ };

describe('promote and rollback', () => {
  const tmp = tempDir('nightshift-promote-');
  let store: Store;
  let ctx: PromotionContext;
  before(async () => {
    store = openSqliteStore({ path: join(tmp.path, 'nightshift.db') });
    await store.init();
    ctx = { store, clock, ids: createIdSource(clock), people };
  });
  after(async () => {
    await store.close();
    tmp.cleanup();
  });

  /** A role with versions v1 (draft), v2 (draft, new instructions), v3 (full: wider). */
  async function role(name: string) {
    await store.putRoleVersion({ name, version: 'v1aaaa', spec: spec('draft', 'one'), createdAt: t++ });
    await store.putRoleVersion({ name, version: 'v2bbbb', spec: spec('draft', 'two'), createdAt: t++ });
    await store.putRoleVersion({ name, version: 'v3cccc', spec: spec('full', 'two'), createdAt: t++ });
    return name;
  }
  /** A run of the role's `version`, as when the role file ran it (before any promotion). */
  async function ran(name: string, version: string) {
    const run = newRun({ role: name, roleVersion: version, createdAt: t++ });
    await store.createRun(run, {
      steps: [step(run.id, 1, 'run_started', { input: run.input })],
      at: run.createdAt,
    });
  }
  const audit = async (name: string) =>
    (await store.listAudit({ limit: 1000 }))
      .filter((e) => e.target === name && e.action !== 'role.version_seen')
      .map((e) => ({ actor: e.actor, action: e.action, to: e.data.to, evidence: e.data.evidence }));

  it('promotes a version that does not widen authority at once, with who and the evidence in the audit log', async () => {
    const name = await role('desk-a');
    const r = await promote(ctx, { role: name, version: 'v2', by: 'alice', evidence: ['eval ev_1: 19/20'] });
    assert.equal(r.outcome, 'promoted');
    assert.equal((await store.activePromotion(name))?.version, 'v2bbbb');
    assert.deepEqual(await audit(name), [
      { actor: 'alice', action: 'role.version_promoted', to: 'v2bbbb', evidence: ['eval ev_1: 19/20'] },
    ]);
    const again = await promote(ctx, { role: name, version: 'v2bbbb', by: 'alice' });
    assert.equal(again.outcome, 'unchanged');
  });

  it('rolls back to the previously active version, then past the first promotion, and no further', async () => {
    const name = await role('desk-b');
    // Nothing active: the file ran its newest stored version, v3 (full); the first promotion goes from it.
    await ran(name, 'v3cccc');
    await promote(ctx, { role: name, version: 'v1aaaa', by: 'alice' });
    await promote(ctx, { role: name, version: 'v2bbbb', by: 'alice' });
    await promote(ctx, { role: name, version: 'v1aaaa', by: 'alice' });
    const back = await rollback(ctx, { role: name, by: 'alice', evidence: ['INC-7'] });
    assert.equal(back.outcome, 'promoted');
    assert.equal((await store.activePromotion(name))?.version, 'v2bbbb');
    assert.equal((await rollback(ctx, { role: name, by: 'alice' })).outcome, 'promoted');
    assert.equal((await store.activePromotion(name))?.version, 'v1aaaa');
    // Back at the first promotion's version (by a rollback, not by the promotion itself): one further
    // back is the version the file ran before it, as when the first promotion is the active row.
    const first = await rollback(ctx, { role: name, by: 'alice' });
    assert.equal(first.outcome, 'pending', 'going back to full from draft widens authority');
    assert.equal(first.promotion.version, 'v3cccc');
    await grantPromotion(ctx, first.promotion.id, { by: 'alice' });
    assert.equal((await store.activePromotion(name))?.version, 'v3cccc');
    await assert.rejects(rollback(ctx, { role: name, by: 'alice' }), { code: 'NOTHING_TO_ROLL_BACK' });
    const actions = (await audit(name)).map((a) => [a.action, a.to]);
    assert.deepEqual(actions, [
      ['role.version_promoted', 'v1aaaa'],
      ['role.version_promoted', 'v2bbbb'],
      ['role.version_promoted', 'v1aaaa'],
      ['role.version_rolled_back', 'v2bbbb'],
      ['role.version_rolled_back', 'v1aaaa'],
      ['role.promotion_requested', 'v3cccc'],
      ['role.version_rolled_back', 'v3cccc'],
    ]);
  });

  it('rolls a first promotion back to the version the role file ran, judged like a promotion', async () => {
    const name = await role('desk-i');
    // Nothing active: the file ran its newest stored version, v3 (full); v1 (draft) narrows it.
    await ran(name, 'v3cccc');
    assert.equal((await promote(ctx, { role: name, version: 'v1aaaa', by: 'alice' })).outcome, 'promoted');
    const back = await rollback(ctx, { role: name, by: 'alice' });
    assert.equal(back.outcome, 'pending', 'going back to full from draft widens authority');
    assert.equal(back.promotion.version, 'v3cccc');
    await grantPromotion(ctx, back.promotion.id, { by: 'alice' });
    assert.equal((await store.activePromotion(name))?.version, 'v3cccc');
  });

  it('never rolls a first promotion back to a version that was never in effect', async () => {
    // before: with no run, the first promotion's `from` (the newest other stored version, v3, only judged
    // against) was made active by `rollback`, exit 0.
    const name = await role('desk-j');
    assert.equal(
      (await promote(ctx, { role: name, version: 'v2bbbb', by: 'alice' })).promotion.fromVersion,
      'v3cccc',
    );
    await assert.rejects(rollback(ctx, { role: name, by: 'alice' }), {
      code: 'NOTHING_TO_ROLL_BACK',
      message: /v3cccc, the version its first promotion was judged against, was never in effect/,
    });
    assert.equal((await store.activePromotion(name))?.version, 'v2bbbb');
    assert.equal((await store.listPromotions({ role: name })).length, 1, 'nothing was written');
    // A version that ran before it, but not the newest run, was not what the file ran then either.
    const other = await role('desk-k');
    await ran(other, 'v3cccc');
    await ran(other, 'v1aaaa');
    await promote(ctx, { role: other, version: 'v1aaaa', by: 'alice' });
    await assert.rejects(rollback(ctx, { role: other, by: 'alice' }), { code: 'NOTHING_TO_ROLL_BACK' });
  });

  it('never rolls back to a version whose promotion was refused and that never ran', async () => {
    // before: at the bottom of the stack, rollback asked again for v3, whose own promotion was refused.
    const name = await role('desk-l');
    await promote(ctx, { role: name, version: 'v1aaaa', by: 'alice' });
    const wide = await promote(ctx, { role: name, version: 'v3cccc', by: 'alice' });
    assert.equal(wide.outcome, 'pending');
    await refusePromotion(ctx, wide.promotion.id, { by: 'alice', reason: 'too wide' });
    await promote(ctx, { role: name, version: 'v2bbbb', by: 'alice' });
    await promote(ctx, { role: name, version: 'v1aaaa', by: 'alice' });
    await rollback(ctx, { role: name, by: 'alice' });
    assert.equal((await store.activePromotion(name))?.version, 'v2bbbb');
    await rollback(ctx, { role: name, by: 'alice' });
    assert.equal((await store.activePromotion(name))?.version, 'v1aaaa');
    await assert.rejects(rollback(ctx, { role: name, by: 'alice' }), { code: 'NOTHING_TO_ROLL_BACK' });
    const asked = (await store.listPromotions({ role: name })).filter((p) => p.version === 'v3cccc');
    assert.deepEqual(
      asked.map((p) => [p.kind, p.status]),
      [['promote', 'refused']],
    );
  });

  it('refuses a rollback when nothing was promoted', async () => {
    const name = await role('desk-c');
    await assert.rejects(rollback(ctx, { role: name, by: 'alice' }), { code: 'NOTHING_TO_ROLL_BACK' });
  });

  it('turns a widening promotion into a pending one that only a person allowed for the role can grant', async () => {
    const name = await role('desk-d');
    await promote(ctx, { role: name, version: 'v2bbbb', by: 'alice' });
    const r = await promote(ctx, { role: name, version: 'v3cccc', by: 'alice', evidence: ['eval ev_9'] });
    assert.equal(r.outcome, 'pending');
    assert.deepEqual(r.promotion.widening, ['autonomy rises from draft to full']);
    assert.equal((await store.activePromotion(name))?.version, 'v2bbbb', 'not in effect yet');
    // Someone allowed for another role, and someone not configured at all: refused, nothing written.
    await assert.rejects(grantPromotion(ctx, r.promotion.id, { by: 'mallory' }), {
      code: 'PERSON_NOT_ALLOWED',
    });
    await assert.rejects(grantPromotion(ctx, r.promotion.id, { by: 'eve' }), { code: 'PERSON_NOT_ALLOWED' });
    await assert.rejects(grantPromotion(ctx, r.promotion.id, { by: 'agent:desk' }), {
      code: 'ACTOR_INVALID',
    });
    assert.equal((await store.getPromotion(r.promotion.id))?.status, 'pending');
    assert.equal((await store.activePromotion(name))?.version, 'v2bbbb');
    const granted = await grantPromotion(ctx, r.promotion.id, { by: 'alice', note: 'looked at the evals' });
    assert.equal(granted.status, 'done');
    assert.equal((await store.activePromotion(name))?.version, 'v3cccc');
    const entries = await audit(name);
    assert.deepEqual(entries.slice(1), [
      { actor: 'alice', action: 'role.promotion_requested', to: 'v3cccc', evidence: ['eval ev_9'] },
      { actor: 'alice', action: 'role.version_promoted', to: 'v3cccc', evidence: ['eval ev_9'] },
    ]);
  });

  it('makes a caller not allowed for the role wait for a person, even for a neutral version', async () => {
    const name = await role('desk-e');
    const r = await promote(ctx, { role: name, version: 'v1aaaa', by: 'improve-loop' });
    assert.equal(r.outcome, 'pending');
    assert.deepEqual(r.promotion.widening, []);
    assert.equal(await store.activePromotion(name), undefined);
  });

  it('never lets a refused promotion take effect, and decides a promotion once', async () => {
    const name = await role('desk-f');
    await promote(ctx, { role: name, version: 'v1aaaa', by: 'alice' });
    const r = await promote(ctx, { role: name, version: 'v3cccc', by: 'alice' });
    assert.equal(r.outcome, 'pending');
    await refusePromotion(ctx, r.promotion.id, { by: 'alice', reason: 'too wide' });
    await assert.rejects(grantPromotion(ctx, r.promotion.id, { by: 'alice' }), {
      code: 'PROMOTION_NOT_PENDING',
    });
    assert.equal((await store.activePromotion(name))?.version, 'v1aaaa');
  });

  it('refuses to grant a promotion judged against a version that is no longer active', async () => {
    const name = await role('desk-g');
    await promote(ctx, { role: name, version: 'v1aaaa', by: 'alice' });
    const wide = await promote(ctx, { role: name, version: 'v3cccc', by: 'alice' });
    await promote(ctx, { role: name, version: 'v2bbbb', by: 'alice' });
    await assert.rejects(grantPromotion(ctx, wide.promotion.id, { by: 'alice' }), {
      code: 'PROMOTION_STALE',
    });
    assert.equal((await store.activePromotion(name))?.version, 'v2bbbb');
  });

  it('names versions by a unique prefix and refuses unknown or ambiguous ones', async () => {
    const name = await role('desk-h');
    await assert.rejects(promote(ctx, { role: name, version: 'nope', by: 'alice' }), {
      code: 'VERSION_NOT_FOUND',
    });
    await assert.rejects(promote(ctx, { role: name, version: 'v', by: 'alice' }), /ambiguous/);
  });
  it('never judges a candidate against itself: an old wide version that ran last waits for a person', async () => {
    // v1 (full) ran for months; the file was then narrowed to v2 (draft), which has not run yet. With
    // nothing active, promoting v1 back is judged against v2 too, so it widens and waits.
    const name = 'desk-wide';
    await store.putRoleVersion({ name, version: 'w1aaaa', spec: spec('full', 'one'), createdAt: t++ });
    const run = newRun({ role: name, roleVersion: 'w1aaaa' });
    await store.createRun(run, {
      steps: [step(run.id, 1, 'run_started', { input: run.input })],
      at: run.createdAt,
    });
    await store.putRoleVersion({ name, version: 'w2bbbb', spec: spec('draft', 'one'), createdAt: t++ });
    const r = await promote(ctx, { role: name, version: 'w1', by: 'alice' });
    assert.equal(r.outcome, 'pending');
    assert.ok(
      r.promotion.widening.some((w) => /autonomy/.test(w)),
      JSON.stringify(r.promotion.widening),
    );
    assert.equal(await store.activePromotion(name), undefined);
  });

  it('leaves the first promotion of a role with no other version to a person', async () => {
    const name = 'desk-only';
    await store.putRoleVersion({ name, version: 'o1aaaa', spec: spec('full', 'one'), createdAt: t++ });
    const r = await promote(ctx, { role: name, version: 'o1', by: 'alice' });
    assert.equal(r.outcome, 'pending');
    assert.match(r.promotion.widening.join(), /no earlier version/);
  });
});
