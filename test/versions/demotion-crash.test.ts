// A demotion between a crash and the resume: an idempotent call the killed driver left `started` is
// judged again at the lower rung before it runs again, like a call decided and not run yet. kill -9 of the
// real CLI in the middle of the call, a promotion to a lower rung, then `nightshift resume`.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { json, runCli } from '../support/cli.js';
import { inStore, killCliAt } from '../support/crash-points.js';
import { fixtures } from '../support/paths.js';
import { tempDir } from '../support/tmp.js';
import { decidePromotion, versionWriter } from '../support/versions.js';

const tmp = tempDir('nightshift-demotion-crash-');
after(() => tmp.cleanup());

interface Shown {
  status: string;
  toolCalls: { tool: string; status: string; reason: string }[];
}

/** A `full` role whose one call (idempotent, external) holds at `reached-mid` until `release-mid`. */
function project(name: string) {
  const dir = join(tmp.path, name);
  const ws = join(dir, 'ws');
  mkdirSync(ws, { recursive: true });
  writeFileSync(
    join(dir, 's.yaml'),
    stringify({
      turns: [
        { call: 'ledger.append_once', args: { entry: 'pay 40', hold: 'mid' } },
        { final: { summary: 'done' } },
      ],
    }),
  );
  const file = join(dir, 'role.yaml');
  writeFileSync(
    file,
    stringify({
      name,
      description: 'pays',
      autonomy: 'full',
      model: 'script:./s.yaml',
      instructions: 'pay',
      tools: ['ledger.append_once'],
      toolModules: [fixtures('tools', 'ledger.ts')],
      workspace: './ws',
    }),
  );
  return { file, ws, data: ['--data-dir', join(dir, '.ns')] };
}

describe('a demotion between a crash and the resume', () => {
  for (const [to, reason] of [
    ['draft', /demoted from 'full' to 'draft'.*decided again at 'draft': draft/],
    [
      'observe',
      /demoted from 'full' to 'observe'.*at 'observe' ledger\.append_once \(external\) does not run/,
    ],
  ] as const) {
    it(`an idempotent call left started is judged again at '${to}' and not run again`, async () => {
      const p = project(`crash-${to}`);
      await killCliAt(['run', p.file, '--json', ...p.data], join(p.ws, 'reached-mid'));
      const runId = await inStore(p.data[1]!, async (s) => {
        const [run] = await s.listRuns();
        const call = [...(await s.loadRun(run!.id))!.toolCalls][0];
        assert.equal(call?.status, 'started', 'killed in the middle of the call');
        return run!.id;
      });

      const versions = versionWriter(p.file, p.data);
      await versions.known();
      const lower = await versions.next({ autonomy: to });
      await decidePromotion(['promote', `crash-${to}`, lower], p.data);

      // Were the tool run again, it would write reached-mid anew (and go on: release-mid is there).
      rmSync(join(p.ws, 'reached-mid'));
      writeFileSync(join(p.ws, 'release-mid'), '');
      const resumed = await runCli(['resume', runId, '--json', ...p.data]);
      assert.equal(json<{ status: string }>(resumed).status, 'succeeded', resumed.stderr);
      assert.equal(existsSync(join(p.ws, 'reached-mid')), false, `the call ran again at '${to}'`);
      const shown = json<Shown>(await runCli(['show', runId, '--json', ...p.data]));
      const [call] = shown.toolCalls;
      assert.equal(call?.status, 'denied');
      assert.match(call!.reason, reason);
      // The crashed attempt may have had its effect: the ledger does not claim it never happened.
      assert.match(call!.reason, /may have taken effect: not run again$/);
    });
  }
});
