// A webhook delivery whose run was recorded but whose answer failed afterwards (the database's reply lost
// on the way back, as a cut connection or a client query timeout after COMMIT leaves it) keeps its
// signature remembered: a captured nightshift-scheme request replayed under another (unsigned) delivery
// id is refused and starts no second run. Real daemon on loopback, real Postgres behind a loopback proxy
// that loses the one reply to the statement carrying the delivery's key.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { loadRoleFile } from '../../../src/roles/load.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { type Daemon, startDaemon } from '../../../src/server/daemon.js';
import { openPostgresStore } from '../../../src/store/postgres/index.js';
import { type LostReplyProxy, startLostReplyProxy } from '../../support/lost-reply-proxy.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../../support/postgres.js';
import { type TestRole, writeTestRole } from '../../support/roles.js';

const SECRET = 'whsec-answer-lost-after-commit';

function sign(body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
}

describe('a webhook delivery recorded but answered with a failure (postgres)', {
  skip: await postgresUnavailable(),
}, () => {
  let r: TestRole;
  let rt: Runtime;
  let proxy: LostReplyProxy;
  let daemon: Daemon;
  const schema = freshSchema();
  before(async () => {
    r = writeTestRole({
      name: 'lost',
      autonomy: 'full',
      tools: ['fs.list'],
      ledgerTools: false,
      turns: [{ final: {} }, { final: {} }],
      extra: {
        secrets: ['HOOK_SECRET'],
        triggers: [{ webhook: { path: 'lost', secret: 'HOOK_SECRET' } }],
      },
    });
    const target = new URL(TEST_DATABASE_URL);
    proxy = await startLostReplyProxy(Number(target.port || 5432), target.hostname);
    target.host = `127.0.0.1:${proxy.port}`;
    rt = await createRuntime({ store: openPostgresStore({ connectionString: target.toString(), schema }) });
    daemon = await startDaemon({
      runtime: rt,
      roles: [await loadRoleFile(r.file)],
      host: '127.0.0.1',
      port: 0,
      concurrency: 1,
      pollMs: 20,
      env: { HOOK_SECRET: SECRET },
      log: pino({ level: 'silent' }),
    });
  });
  after(async () => {
    await daemon?.close(1000);
    await rt?.close();
    await proxy?.close();
    await dropSchema(schema);
    r?.cleanup();
  });

  const post = async (body: string, signature: string, delivery: string) => {
    const res = await fetch(`${daemon.url}/hooks/lost`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-nightshift-signature': signature,
        'x-nightshift-delivery': delivery,
      },
      body,
    });
    return { status: res.status, body: (await res.json()) as { runId?: string; error?: { code: string } } };
  };
  const runs = async () => (await rt.list({ limit: 1000 })).length;

  it('refuses the same signature again, under any delivery id: one run, not two', async () => {
    const body = JSON.stringify({ ticket: 'T-lost' });
    const signature = sign(body);
    proxy.loseReplyTo('webhook:lost:delivery-1');
    const failed = await post(body, signature, 'delivery-1');
    assert.equal(proxy.lost(), 1, 'the reply to the run insert was lost');
    assert.ok(failed.status >= 500, `the delivery whose answer failed: ${JSON.stringify(failed)}`);
    assert.equal(await runs(), 1, 'the run was recorded all the same');
    const replayed = await post(body, signature, 'delivery-2');
    assert.equal(replayed.status, 401, `a replay under another delivery id: ${JSON.stringify(replayed)}`);
    assert.equal(replayed.body.error?.code, 'WEBHOOK_REPLAYED');
    const retried = await post(body, signature, 'delivery-1');
    assert.equal(retried.status, 401, `the byte-identical retry: ${JSON.stringify(retried)}`);
    assert.equal(await runs(), 1);
  });
});
