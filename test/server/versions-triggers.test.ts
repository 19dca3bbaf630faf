// A running `nightshift serve` serves the triggers of each role's active version: promoting a version
// that adds a webhook makes serve answer at its path, and rolling back removes it, without a restart
// (server/active-roles.ts re-reads the promotions).
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const SECRET = 'whsec-promoted-hook-31c7';

describe('serve and the triggers of a promoted version', () => {
  const r = writeTestRole({
    name: 'hook-promo',
    autonomy: 'full',
    tools: ['fs.read'],
    ledgerTools: false,
    turns: [{ final: { summary: 'done' } }],
    extra: { secrets: ['PROMO_HOOK_SECRET'], triggers: [{ event: 'hook-promo.go' }] },
  });
  let served: Served;
  const data = ['--data-dir', r.dataDir];
  let sent = 0;

  /** A correctly signed delivery to /hooks/<path> (a new body each time, so none is a replay). */
  async function deliver(path: string): Promise<number> {
    const body = JSON.stringify({ n: ++sent });
    const t = Math.floor(Date.now() / 1000);
    const sig = `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
    const res = await fetch(`${served.url}/hooks/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-nightshift-signature': sig },
      body,
    });
    await res.text();
    return res.status;
  }
  const answers = (path: string, status: number) =>
    waitFor(
      async () => ((await deliver(path)) === status ? true : undefined),
      `/hooks/${path} to answer ${status}`,
      30_000,
    );

  before(async () => {
    served = await startServe([r.dir, '--port', '0', '--poll-ms', '20', ...data], {
      env: { PROMO_HOOK_SECRET: SECRET },
    });
  });
  after(() => {
    served.child.kill('SIGKILL');
    r.cleanup();
  });

  it('answers at the promoted version’s webhook path, and no longer after a rollback', async () => {
    // Version one, as serve loaded it, ran once from the file (so a rollback can go back to it: a version
    // no run ran before the first promotion was never in effect).
    const ranV1 = await runCli(['run', r.file, '--json', ...data], {
      cwd: r.dir,
      env: { PROMO_HOOK_SECRET: SECRET },
    });
    assert.equal(ranV1.code, 0, ranV1.stderr);
    const first = await runCli(['versions', r.file, '--json', ...data]);
    assert.equal(first.code, 0, first.stderr);
    const v1 = json<{ versions: { version: string }[] }>(first).versions[0]!.version;
    assert.equal(json<{ roleVersion: string }>(ranV1).roleVersion, v1);
    assert.equal(await deliver('promoted'), 404);

    // Version two adds a webhook; the file changes, but only the promotion makes it the served one.
    const spec = parse(readFileSync(r.file, 'utf8'));
    writeFileSync(
      r.file,
      stringify({
        ...spec,
        triggers: [...spec.triggers, { webhook: { path: 'promoted', secret: 'PROMO_HOOK_SECRET' } }],
      }),
    );
    const listed = await runCli(['versions', r.file, '--json', ...data]);
    assert.equal(listed.code, 0, listed.stderr);
    const v2 = json<{ versions: { version: string }[] }>(listed).versions.find(
      (v) => v.version !== v1,
    )!.version;
    assert.equal(await deliver('promoted'), 404, 'an edited file is not served until promoted');

    // A new trigger widens what can start the role: the promotion waits for a person, who grants it.
    const promoted = await runCli([
      'promote',
      'hook-promo',
      v2,
      '--as',
      'alice',
      '--evidence',
      'eval ev_2',
      '--json',
      ...data,
    ]);
    const result = json<{ promotion: { id: string }; outcome: string }>(promoted);
    if (result.outcome === 'pending') {
      const granted = await runCli(['approve', result.promotion.id, '--as', 'alice', ...data]);
      assert.equal(granted.code, 0, granted.stderr);
    }
    await answers('promoted', 202);

    // Version one declares the secret with no trigger holding it: going back frees it for http.fetch to
    // any allowed host, a widening (docs/versions.md), so the rollback too waits for a person.
    const back = await runCli(['rollback', 'hook-promo', '--as', 'alice', '--json', ...data]);
    const rolled = json<{ promotion: { id: string }; outcome: string }>(back);
    assert.equal(rolled.outcome, 'pending', back.stdout);
    const grantedBack = await runCli(['approve', rolled.promotion.id, '--as', 'alice', ...data]);
    assert.equal(grantedBack.code, 0, grantedBack.stderr);
    await answers('promoted', 404);
    assert.equal(served.child.exitCode, null, 'the same serve process all along');
  });
});
