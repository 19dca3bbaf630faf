// A demotion reaches paused runs: a role whose active version was moved down a rung while a run of an
// older, higher version waited for a person does not get its old authority back when the person decides.
// Through the real CLI (run, versions, promote, approve, answer) on a real SQLite store; the workspace on
// disk says what ran.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';
import { decidePromotion, versionWriter } from '../support/versions.js';

interface Summary {
  runId: string;
  status: string;
  pending: string[];
  escalations: { id: string }[];
}
interface Shown {
  toolCalls: { tool: string; args: { path?: string }; status: string; reason: string }[];
}

const tmp = tempDir('nightshift-demotion-');
after(() => tmp.cleanup());

/** A project folder with a role file at `autonomy`, its script and an empty workspace. */
function project(name: string, autonomy: string, turns: string, extra = '') {
  const dir = join(tmp.path, name);
  mkdirSync(join(dir, 'ws'), { recursive: true });
  writeFileSync(join(dir, 's.yaml'), `turns:\n${turns}`);
  const file = join(dir, 'role.yaml');
  writeFileSync(
    file,
    `name: ${name}\ndescription: d\nautonomy: ${autonomy}\nmodel: script:./s.yaml\ninstructions: work\ntools: [fs.write]\nworkspace: ./ws\n${extra}`,
  );
  const data = ['--data-dir', join(dir, '.ns')];
  return { dir, file, data, ws: join(dir, 'ws') };
}

async function start(file: string, data: string[]): Promise<Summary> {
  const out = await runCli(['run', file, '--json', ...data]);
  assert.equal(out.code, 3, out.stderr);
  return json<Summary>(out);
}

/** Registers the role file's next version with `changes` and makes it the active one. */
async function demote(p: { file: string; data: string[] }, name: string, autonomy: string) {
  const versions = versionWriter(p.file, p.data);
  await versions.known();
  const lower = await versions.next({ autonomy });
  assert.equal(await decidePromotion(['promote', name, lower], p.data), 'promoted');
}

async function calls(runId: string, data: string[]) {
  const out = await runCli(['show', runId, '--json', ...data]);
  return json<Shown>(out).toolCalls;
}

describe('a demotion reaches paused runs', () => {
  it('a draft approved after the role was demoted to observe does not run', async () => {
    const p = project(
      'demo-draft',
      'draft',
      '  - call: fs.write\n    args: { path: a.txt, content: one }\n  - final: { summary: done }\n',
    );
    const paused = await start(p.file, p.data);
    assert.equal(paused.status, 'awaiting_approval');
    await demote(p, 'demo-draft', 'observe');

    const approved = await runCli(['approve', paused.pending[0]!, '--as', 'alice', ...p.data]);
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(existsSync(join(p.ws, 'a.txt')), false, 'the drafted write ran at observe');
    const [write] = await calls(paused.runId, p.data);
    assert.equal(write?.status, 'denied');
    assert.match(write!.reason, /demoted from 'draft' to 'observe'.*does not run, approved or not/);
  });

  it('after an answer, a run of a full version demoted to observe gets its next write denied', async () => {
    const p = project(
      'demo-answer',
      'full',
      '  - call: escalate\n    args: { category: ambiguous, reason: "may I?" }\n' +
        '  - call: fs.write\n    args: { path: b.txt, content: two }\n  - final: { summary: done }\n',
    );
    const paused = await start(p.file, p.data);
    assert.equal(paused.status, 'escalated');
    await demote(p, 'demo-answer', 'observe');

    const answered = await runCli(['answer', paused.escalations[0]!.id, 'no', '--as', 'alice', ...p.data]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(existsSync(join(p.ws, 'b.txt')), false, 'the write ran at full after the demotion');
    const write = (await calls(paused.runId, p.data)).find((c) => c.tool === 'fs.write');
    assert.equal(write?.status, 'denied');
    assert.match(write!.reason, /autonomy 'observe'/);
  });

  /** A role at full whose one turn writes held.txt (held by a rule) and then later.txt (allowed). */
  const heldThenLater = (name: string) =>
    project(
      name,
      'full',
      '  - calls:\n' +
        '      - tool: fs.write\n        args: { path: held.txt, content: x }\n' +
        '      - tool: fs.write\n        args: { path: later.txt, content: y }\n' +
        '  - final: { summary: done }\n',
      'escalation:\n  - category: other\n    when: { tool: fs.write, arg: path, eq: held.txt }\n',
    );

  it('a write the policy allowed before a demotion to draft, waiting behind a held call, is decided again', async () => {
    const p = heldThenLater('demo-held');
    const paused = await start(p.file, p.data);
    assert.equal(paused.status, 'escalated');
    await demote(p, 'demo-held', 'draft');

    const answered = await runCli(['answer', paused.escalations[0]!.id, 'no', '--as', 'alice', ...p.data]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(existsSync(join(p.ws, 'later.txt')), false, 'the write allowed at full ran at draft');
    const later = (await calls(paused.runId, p.data)).find((c) => c.args.path === 'later.txt');
    assert.equal(later?.status, 'denied');
    assert.match(later!.reason, /demoted from 'full' to 'draft'.*decided again at 'draft': draft/);
  });

  it('a call claimed when the allowed held call finished, then denied by the demotion, is said never to have run', async () => {
    // The held call allowed (--allow-call) runs, and its finish claims the next call (a tool_started
    // step) before the demotion denies it. before: the deny said nothing of the claim, and the log read
    // as a call started whose effect is unknown.
    const p = heldThenLater('demo-claimed');
    const paused = await start(p.file, p.data);
    await demote(p, 'demo-claimed', 'draft');
    const answered = await runCli([
      'answer',
      paused.escalations[0]!.id,
      'go',
      '--allow-call',
      '--as',
      'alice',
      ...p.data,
    ]);
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(existsSync(join(p.ws, 'held.txt')), true);
    assert.equal(existsSync(join(p.ws, 'later.txt')), false, 'the write allowed at full ran at draft');
    const later = (await calls(paused.runId, p.data)).find((c) => c.args.path === 'later.txt');
    assert.equal(later?.status, 'denied');
    assert.match(later!.reason, /decided again at 'draft'/);
    assert.match(later!.reason, /claimed \(tool_started\) when the call before it finished, and never ran/);
  });

  it('under versions.source: file nothing is active, so a promotion to observe caps nothing', async () => {
    const p = project(
      'demo-file',
      'full',
      '  - call: escalate\n    args: { category: ambiguous, reason: "may I?" }\n' +
        '  - call: fs.write\n    args: { path: f.txt, content: four }\n  - final: { summary: done }\n',
    );
    const paused = await start(p.file, p.data);
    await demote(p, 'demo-file', 'observe');
    writeFileSync(join(p.dir, 'nightshift.config.yaml'), 'versions: { source: file }\n');

    const answered = await runCli(['answer', paused.escalations[0]!.id, 'go', '--as', 'alice', ...p.data], {
      cwd: p.dir,
    });
    assert.equal(answered.code, 0, answered.stderr);
    assert.equal(existsSync(join(p.ws, 'f.txt')), true, 'the run was capped though the file is the source');
  });

  it('a promotion to a higher rung does not raise a paused run', async () => {
    const p = project(
      'demo-raise',
      'draft',
      '  - call: fs.write\n    args: { path: a.txt, content: one }\n' +
        '  - call: fs.write\n    args: { path: c.txt, content: three }\n  - final: { summary: done }\n',
    );
    const paused = await start(p.file, p.data);
    const versions = versionWriter(p.file, p.data);
    await versions.known();
    const higher = await versions.next({ autonomy: 'full' });
    await decidePromotion(['promote', 'demo-raise', higher], p.data);

    const approved = await runCli(['approve', paused.pending[0]!, '--as', 'alice', '--json', ...p.data]);
    assert.equal(json<Summary>(approved).status, 'awaiting_approval', 'the second write is drafted again');
    assert.equal(existsSync(join(p.ws, 'a.txt')), true);
    assert.equal(existsSync(join(p.ws, 'c.txt')), false);
  });
});
