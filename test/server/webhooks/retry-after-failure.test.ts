// A signed delivery that fails on our side (a 5xx: the store refuses the write) is not remembered as seen:
// the sender's byte-identical retry is accepted once the store is back, while a replay of an accepted
// delivery is still refused and identical deliveries sent at once record one run. Run against a real
// daemon on loopback over a real SQLite file and the real Postgres, the failure injected in the database
// itself (a trigger refusing new runs), as a disk or database fault would.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { pino } from 'pino';
import { loadRoleFile } from '../../../src/roles/load.js';
import { createRuntime, type Runtime } from '../../../src/runtime.js';
import { type Daemon, startDaemon } from '../../../src/server/daemon.js';
import { openPostgresStore } from '../../../src/store/postgres/index.js';
import { DATABASE_FILE } from '../../../src/store/sqlite/open.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../../support/postgres.js';
import { type TestRole, writeTestRole } from '../../support/roles.js';

const SECRET = 'whsec-retry-after-failure-01';

function sign(body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v1=${createHmac('sha256', SECRET).update(`${t}.${body}`).digest('hex')}`;
}

/** Makes the store refuse (or accept again) every new run, from outside the daemon's own connection. */
interface Fault {
  refuseRuns(): Promise<void>;
  acceptRuns(): Promise<void>;
  close(): Promise<void>;
}

const pgSkip = await postgresUnavailable();

const backends: {
  name: string;
  skip?: string | undefined;
  open(r: TestRole): Promise<{ rt: Runtime; fault: Fault; cleanup(): Promise<void> }>;
}[] = [
  {
    name: 'sqlite',
    async open(r) {
      const rt = await createRuntime({ dataDir: r.dataDir });
      const db = new Database(join(r.dataDir, DATABASE_FILE));
      db.pragma('busy_timeout = 5000');
      return {
        rt,
        fault: {
          refuseRuns: async () => {
            db.exec(
              `CREATE TRIGGER refuse_runs BEFORE INSERT ON runs BEGIN SELECT RAISE(ABORT, 'injected: runs refused'); END`,
            );
          },
          acceptRuns: async () => {
            db.exec('DROP TRIGGER refuse_runs');
          },
          close: async () => {
            db.close();
          },
        },
        cleanup: async () => {},
      };
    },
  },
  {
    name: 'postgres',
    skip: pgSkip,
    async open() {
      const schema = freshSchema();
      const rt = await createRuntime({
        store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }),
      });
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      return {
        rt,
        fault: {
          refuseRuns: async () => {
            await client.query(
              `CREATE FUNCTION ${schema}.refuse_runs() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: runs refused'; END $$`,
            );
            await client.query(
              `CREATE TRIGGER refuse_runs BEFORE INSERT ON ${schema}.runs FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse_runs()`,
            );
          },
          acceptRuns: async () => {
            await client.query(`DROP TRIGGER refuse_runs ON ${schema}.runs`);
            await client.query(`DROP FUNCTION ${schema}.refuse_runs()`);
          },
          close: () => client.end(),
        },
        cleanup: () => dropSchema(schema),
      };
    },
  },
];

for (const backend of backends)
  describe(`a webhook delivery that failed on our side (${backend.name})`, { skip: backend.skip }, () => {
    let r: TestRole;
    let rt: Runtime;
    let fault: Fault;
    let cleanup: () => Promise<void>;
    let daemon: Daemon;
    before(async () => {
      r = writeTestRole({
        name: 'retried',
        autonomy: 'full',
        tools: ['fs.list'],
        ledgerTools: false,
        turns: [{ final: {} }, { final: {} }],
        extra: {
          secrets: ['HOOK_SECRET'],
          triggers: [{ webhook: { path: 'retried', secret: 'HOOK_SECRET' } }],
        },
      });
      ({ rt, fault, cleanup } = await backend.open(r));
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
      await fault?.close();
      await cleanup?.();
      r?.cleanup();
    });

    const post = async (body: string, signature: string) => {
      const res = await fetch(`${daemon.url}/hooks/retried`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-nightshift-signature': signature },
        body,
      });
      return { status: res.status, body: (await res.json()) as { runId?: string; error?: { code: string } } };
    };
    const runs = async () => (await rt.list({ limit: 1000 })).length;

    it('accepts the byte-identical retry once the store is back; a replay of the accepted one is refused', async () => {
      const body = JSON.stringify({ ticket: 'T-1' });
      const signature = sign(body);
      await fault.refuseRuns();
      const failed = await post(body, signature);
      assert.ok(failed.status >= 500, `the failed delivery: ${JSON.stringify(failed)}`);
      assert.equal(await runs(), 0);
      await fault.acceptRuns();
      const retried = await post(body, signature);
      assert.equal(retried.status, 202, `the sender's retry: ${JSON.stringify(retried)}`);
      assert.equal(await runs(), 1);
      const replayed = await post(body, signature);
      assert.equal(replayed.status, 401);
      assert.equal(replayed.body.error?.code, 'WEBHOOK_REPLAYED');
      assert.equal(await runs(), 1);
    });

    it('records one run for identical deliveries sent at once; the others are refused as replays', async () => {
      const body = JSON.stringify({ ticket: 'T-2' });
      const signature = sign(body);
      const before = await runs();
      const answers = await Promise.all(Array.from({ length: 8 }, () => post(body, signature)));
      const statuses = answers.map((a) => a.status).sort();
      assert.deepEqual(statuses, [202, 401, 401, 401, 401, 401, 401, 401], JSON.stringify(answers));
      for (const a of answers.filter((x) => x.status === 401))
        assert.equal(a.body.error?.code, 'WEBHOOK_REPLAYED');
      assert.equal(await runs(), before + 1);
    });
  });
