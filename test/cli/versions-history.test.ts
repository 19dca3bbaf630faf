// `nightshift versions` prints its promotion history newest first, as the store lists it: by when each
// was asked. Each line leads with that time, so a request decided after a later one was asked no longer
// shows a time out of order (it used to lead with the decision's time).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { json, runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';

describe('versions: promotion history', () => {
  it('leads each line with when it was asked, newest first, and says who decided when', async () => {
    const r = writeTestRole({ name: 'hist-bot', autonomy: 'full', tools: [], turns: [{ final: {} }] });
    try {
      const data = ['--data-dir', r.dataDir];
      const listed = await runCli(['versions', r.file, '--json', ...data]);
      assert.equal(listed.code, 0, listed.stderr);
      const version = json<{ versions: { version: string }[] }>(listed).versions[0]!.version;
      // The first promotion waits for a person; ask twice, then refuse the first one asked.
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) {
        const asked = await runCli(['promote', 'hist-bot', version, '--as', 'alice', '--json', ...data]);
        assert.equal(asked.code, 3, asked.stderr);
        ids.push(json<{ promotion: { id: string } }>(asked).promotion.id);
        await sleep(20);
      }
      const refused = await runCli(['reject', ids[0]!, '--reason', 'no', '--as', 'bob', ...data]);
      assert.equal(refused.code, 0, refused.stderr);

      const out = await runCli(['versions', r.file, ...data]);
      assert.equal(out.code, 0, out.stderr);
      const history = out.stdout
        .split('\n')
        .slice(out.stdout.split('\n').indexOf('history (newest first):') + 1);
      const lines = history.filter((l) => /^ {2}\d{4}-/.test(l));
      assert.equal(lines.length, 2, out.stdout);
      const times = lines.map((l) => Date.parse(l.trim().split(' ')[0]!));
      assert.ok(times[0]! >= times[1]!, `newest first:\n${lines.join('\n')}`);
      assert.match(lines[0]!, /pending \(asked by alice\)$/);
      assert.match(lines[1]!, /refused by bob at \d{4}-\S+ \(asked by alice\)$/);
    } finally {
      r.cleanup();
    }
  });
});
