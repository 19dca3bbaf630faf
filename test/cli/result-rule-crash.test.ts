// kill -9 of the CLI while a call whose result a rule watches is running (before its result is committed):
// `resume` re-runs the idempotent call under the same key (no second effect) and checks the rule on the
// result it gets, so the run pauses with the result held, on SQLite and on Postgres. (The kill after the
// result's commit is in test/server/hand-back.test.ts: the result, its escalation and the pause are one
// commit.)
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { json, runCli, startCli } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { testRoles } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const role = testRoles();
const pgSkip = await postgresUnavailable();
const schemas: string[] = [];
after(async () => {
  for (const s of schemas) await dropSchema(s);
});

type Summary = { runId: string; status: string; escalations: { id: string; source: string }[] };

for (const kind of ['sqlite', 'postgres'] as const) {
  describe(`kill -9 before a watched result is committed (${kind})`, {
    skip: kind === 'postgres' ? pgSkip : undefined,
  }, () => {
    it('resume re-runs the idempotent call once and holds its result', async () => {
      const r = role({
        autonomy: 'full',
        tools: ['ledger.append_once'],
        escalation: [
          {
            category: 'security',
            when: { result: { tool: 'ledger.append_once', path: 'appended', contains: 'data loss' } },
          },
        ],
        turns: [
          { call: 'ledger.append_once', args: { entry: 'data loss on sdb', hold: 'h1' } },
          { final: { ok: true } },
        ],
      });
      let flags = ['--data-dir', r.dataDir];
      let env: NodeJS.ProcessEnv = {};
      if (kind === 'postgres') {
        const schema = freshSchema();
        schemas.push(schema);
        flags = [];
        env = { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema };
      }
      const { child, done } = startCli(['run', r.file, '--json', ...flags], { env });
      await waitFor(async () => (existsSync(join(r.workspace, 'reached-h1')) ? true : undefined), 'the tool');
      child.kill('SIGKILL');
      assert.equal((await done).signal, 'SIGKILL');
      writeFileSync(join(r.workspace, 'release-h1'), '');

      const list = json<{ runId: string; status: string }[]>(
        await runCli(['runs', '--json', ...flags], { env }),
      );
      assert.equal(list[0]!.status, 'running');
      const resumed = await runCli(['resume', list[0]!.runId, '--json', ...flags], { env });
      assert.equal(resumed.code, 3, resumed.stderr);
      const s = json<Summary>(resumed);
      assert.equal(s.status, 'escalated');
      assert.equal(s.escalations[0]!.source, 'result_rule');
      assert.equal(r.ledger().length, 1, 'the call took effect once');

      const answered = await runCli(['answer', s.escalations[0]!.id, 'known', '--json', ...flags], { env });
      assert.equal(answered.code, 0, answered.stderr);
      assert.equal(json<Summary>(answered).status, 'succeeded', 'a foreground run is driven on by the CLI');
      assert.equal(r.ledger().length, 1);
    });
  });
}
