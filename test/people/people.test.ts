// People: who may decide which roles' matters. mayDecide's rules (names, globs, groups, nobody configured),
// nightshift.config.yaml's checks, and the refusal on every door of the library and the CLI: a person not
// allowed for the role is refused with PERSON_NOT_ALLOWED and nothing changes.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadProjectConfig } from '../../src/config/project.js';
import { NightshiftError } from '../../src/errors.js';
import type { PeopleDirectory } from '../../src/people/config.js';
import { expandPeople, mayDecide } from '../../src/people/may-decide.js';
import { createRuntime } from '../../src/runtime.js';
import { json, runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const role = testRoles();
const done = { final: { summary: 'done' } };

const dir: PeopleDirectory = {
  people: [
    { name: 'alice', decides: ['billing-*'] },
    { name: 'bob', decides: ['refund-desk', 'ops'] },
    { name: 'root', decides: ['*'] },
  ],
  groups: { leads: ['alice', 'bob'] },
};

describe('mayDecide', () => {
  it('allows a role by name or glob, refuses others and unknown people', () => {
    assert.ok(mayDecide(dir, 'alice', 'billing-eu'));
    assert.ok(!mayDecide(dir, 'alice', 'billing'), 'the glob needs its dash');
    assert.ok(!mayDecide(dir, 'alice', 'refund-desk'));
    assert.ok(mayDecide(dir, 'bob', 'refund-desk'));
    assert.ok(!mayDecide(dir, 'bob', 'refund-desk-2'), 'a name is not a prefix');
    assert.ok(mayDecide(dir, 'root', 'anything'));
    assert.ok(!mayDecide(dir, 'mallory', 'refund-desk'));
  });

  it('lets anyone named decide when no people are configured', () => {
    assert.ok(mayDecide(undefined, 'mallory', 'refund-desk'));
    assert.ok(mayDecide({ people: [], groups: {} }, 'mallory', 'refund-desk'));
  });

  it('expands groups in a tier and ignores names nobody configured', () => {
    assert.deepEqual(
      expandPeople(dir, ['leads', 'root', 'ghost', 'bob']).map((p) => p.name),
      ['alice', 'bob', 'root'],
    );
  });
});

describe('people: in nightshift.config.yaml', () => {
  it('refuses a group naming someone who is not a person, and a person listed twice', () => {
    const tmp = tempDir('nightshift-people-');
    writeFileSync(
      join(tmp.path, 'nightshift.config.yaml'),
      stringify({
        people: [
          { name: 'alice', decides: ['*'] },
          { name: 'alice', decides: ['x'] },
        ],
        groups: { ops: ['alice', 'ghost'] },
      }),
    );
    try {
      assert.throws(
        () => loadProjectConfig(tmp.path),
        (err: unknown) =>
          NightshiftError.isInstance(err) &&
          err.code === 'CONFIG_INVALID' &&
          /ghost is not in people/.test(err.message) &&
          /alice is listed twice/.test(err.message),
      );
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses a group named like a person (CONFIG_INVALID)', () => {
    const tmp = tempDir('nightshift-people-');
    writeFileSync(
      join(tmp.path, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['*'] }], groups: { alice: ['alice'] } }),
    );
    try {
      assert.throws(
        () => loadProjectConfig(tmp.path),
        (err: unknown) =>
          NightshiftError.isInstance(err) &&
          err.code === 'CONFIG_INVALID' &&
          /groups\.alice: alice is also a person's name/.test(err.message),
      );
    } finally {
      tmp.cleanup();
    }
  });
});

describe('deciding as a person who may not', () => {
  it('refuses approve, reject and answer in the library and changes nothing', async () => {
    const r = role({
      name: 'refund-desk',
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, done],
    });
    const rt = await createRuntime({ dataDir: r.dataDir, people: dir });
    try {
      const paused = await rt.run(r.file, {});
      const id = paused.pending[0]!;
      const refused = (err: unknown) => NightshiftError.isInstance(err) && err.code === 'PERSON_NOT_ALLOWED';
      await assert.rejects(rt.approve(id, { by: 'alice' }), refused);
      await assert.rejects(rt.reject(id, { by: 'mallory', reason: 'no' }), refused);
      const before = (await rt.get(paused.runId))!;
      assert.equal(before.approvals[0]!.status, 'pending');
      assert.equal(before.run.status, 'awaiting_approval');
      assert.ok(!r.exists('a.txt'));
      const approved = await rt.approve(id, { by: 'bob' });
      assert.equal(approved.status, 'succeeded');
      assert.ok(r.exists('a.txt'));
    } finally {
      await rt.close();
    }
  });

  it('refuses `answer --as` on the CLI (exit 2, PERSON_NOT_ALLOWED) and leaves the escalation pending', async () => {
    const r = role({
      name: 'billing-eu',
      autonomy: 'full',
      turns: [{ escalate: { category: 'legal', reason: 'a lawyer wrote' } }, done],
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({
        people: [
          { name: 'alice', decides: ['billing-*'] },
          { name: 'bob', decides: ['ops'] },
        ],
      }),
    );
    const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    const paused = json<{ runId: string; escalations: { id: string }[] }>(await cli(['run', r.file]));
    const id = paused.escalations[0]!.id;
    const res = await cli(['answer', id, 'settle it', '--as', 'bob']);
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /PERSON_NOT_ALLOWED|bob may not decide/);
    const show = json<{ status: string }>(await cli(['show', paused.runId]));
    assert.equal(show.status, 'escalated');
    const stranger = await cli(['answer', id, 'settle it', '--as', 'mallory']);
    assert.equal(stranger.code, 2);
    assert.match(stranger.stderr, /mallory is not a configured person/);
    const ok = await cli(['answer', id, 'settle it', '--as', 'alice']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json<{ status: string }>(ok).status, 'succeeded');
  });
});

describe('deciding a change set from the CLI', () => {
  it('refuses `approve --as` and `reject --as` for a person who may not (exit 2), changes nothing; an allowed one decides', async () => {
    const r = role({
      name: 'billing-eu',
      autonomy: 'draft',
      tools: ['fs.write'],
      ledgerTools: false,
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, done],
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({
        people: [
          { name: 'alice', decides: ['billing-*'] },
          { name: 'bob', decides: ['ops'] },
        ],
      }),
    );
    const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    const paused = json<{ runId: string; pending: string[] }>(await cli(['run', r.file]));
    const id = paused.pending[0]!;
    for (const refused of [
      await cli(['approve', id, '--as', 'bob']),
      await cli(['reject', id, '--reason', 'no', '--as', 'bob']),
      await cli(['approve', id, '--as', 'mallory']),
    ]) {
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /PERSON_NOT_ALLOWED|may not decide|not a configured person/);
    }
    const show = json<{ status: string }>(await cli(['show', paused.runId]));
    assert.equal(show.status, 'awaiting_approval');
    assert.ok(!r.exists('a.txt'));
    const ok = await cli(['approve', id, '--as', 'alice']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(json<{ status: string }>(ok).status, 'succeeded');
    assert.ok(r.exists('a.txt'));
  });
});

describe('validate and escalate: tiers', () => {
  it('refuses a tier naming nobody configured, and a tier without a timeout before the last', async () => {
    const r = role({
      name: 'billing-eu',
      autonomy: 'full',
      turns: [{ final: { summary: 'done' } }],
      extra: { escalate: { tiers: [{ to: ['alice', 'ghost'], timeout: '1h' }, { to: ['leads'] }] } },
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['*'] }], groups: { leads: ['alice'] } }),
    );
    const res = await runCli(['validate', r.file], { cwd: r.dir });
    assert.equal(res.code, 2);
    assert.match(res.stderr, /escalate\.tiers\[0\]\.to: ghost is neither a person nor a group/);
    // At the name's line, like every other problem of a role file (README: "file, line and key").
    const ghostLine =
      readFileSync(r.file, 'utf8')
        .split('\n')
        .findIndex((l) => /\bghost\b/.test(l)) + 1;
    assert.ok(ghostLine > 0);
    assert.ok(res.stderr.includes(`:${ghostLine} escalate.tiers[0].to: ghost`), res.stderr);
    assert.doesNotMatch(res.stderr, /leads/);

    // With no people: configured, the same name is a warning and the role is valid (exit 0).
    const unconfigured = role({
      name: 'billing-eu',
      autonomy: 'full',
      turns: [{ final: { summary: 'done' } }],
      extra: { escalate: { tiers: [{ to: ['ghost'] }] } },
    });
    const warned = await runCli(['validate', unconfigured.file], { cwd: unconfigured.dir });
    assert.equal(warned.code, 0, warned.stderr);
    assert.match(
      warned.stderr,
      /warning: escalate\.tiers\[0\]\.to: ghost is neither a person nor a group in nightshift\.config\.yaml \(no people: configured\)/,
    );

    const noTimeout = role({
      name: 'billing-us',
      autonomy: 'full',
      turns: [{ final: { summary: 'done' } }],
      extra: { escalate: { tiers: [{ to: ['alice'] }, { to: ['alice'], timeout: 'soon' }] } },
    });
    const bad = await runCli(['validate', noTimeout.file], { cwd: r.dir });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /every tier but the last needs a timeout/);
    assert.match(bad.stderr, /a duration such as 30s, 15m, 1h or 2d/);
  });
});
