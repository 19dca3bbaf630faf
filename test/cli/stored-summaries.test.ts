// `runs --json` and `show` print a stored run's summary as `run --json` printed it when it stopped: a
// paused run lists what waits for a person (`pending`, `escalations`), and an orchestrator paused on its
// specialists lists theirs, each with its own run id. `runs --json` once listed every run with
// `pending: []`, and `show` of the paused support desk named nothing to decide.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';

const tmp = exampleProject('nightshift-stored-summaries-');
after(() => tmp.cleanup());
const env = { NIGHTSHIFT_DATA_DIR: join(tmp.path, '.nightshift') };

interface Summary {
  runId: string;
  status: string;
  pending: string[];
  escalations: { id: string; runId: string; status: string }[];
}

describe('stored run summaries', () => {
  it('runs --json lists a paused run with its pending approval, as run --json did', async () => {
    const cwd = tmp.path;
    const ran = await runCli(
      ['run', 'examples/roles/refund-desk.yaml', '--input', '{"ticket":"T-1"}', '--json'],
      { cwd, env },
    );
    assert.equal(ran.code, 3, ran.stderr);
    const first = json<Summary>(ran);
    assert.equal(first.pending.length, 1);
    const listed = await runCli(['runs', '--json'], { cwd, env });
    assert.equal(listed.code, 0, listed.stderr);
    const row = json<Summary[]>(listed).find((r) => r.runId === first.runId);
    assert.deepEqual(row?.pending, first.pending);
    const shown = await runCli(['show', first.runId, '--json'], { cwd, env });
    assert.deepEqual(json<Summary>(shown).pending, first.pending);
  });

  it("show and runs --json list a paused orchestrator's specialists' escalations", async () => {
    const cwd = join(tmp.path, 'examples', 'support-desk');
    const ran = await runCli(['run', 'desk.yaml', '--input', '{"ticket":"T-7"}', '--json'], { cwd, env });
    assert.equal(ran.code, 3, ran.stderr);
    const desk = json<Summary>(ran);
    assert.equal(desk.status, 'escalated');
    const esc = desk.escalations.find((e) => e.status === 'pending');
    assert.ok(esc && esc.runId !== desk.runId, JSON.stringify(desk.escalations));

    const shown = await runCli(['show', desk.runId, '--json'], { cwd, env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(json<Summary>(shown).escalations, desk.escalations);
    const human = await runCli(['show', desk.runId], { cwd, env });
    assert.match(human.stdout, new RegExp(`escalated ${esc.id} \\(run ${esc.runId}\\)`));

    const listed = await runCli(['runs', '--json'], { cwd, env });
    const row = json<Summary[]>(listed).find((r) => r.runId === desk.runId);
    assert.deepEqual(row?.escalations, desk.escalations);
  });
});
