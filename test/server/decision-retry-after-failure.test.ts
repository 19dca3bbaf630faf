// A decision answered back over the webhook channel that fails on our side (a 5xx: the store refuses the
// write) gives its signature back: the sender's byte-identical retry is decided once the store is back,
// and a replay of the decided one is still refused. A real `nightshift serve` on loopback over a real
// SQLite file and the real Postgres, the failure injected in the database itself (a trigger refusing
// changes to escalations), as a disk or database fault would.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import { stringify } from 'yaml';
import { signDecision } from '../../src/server/webhook-signature.js';
import { DATABASE_FILE } from '../../src/store/sqlite/open.js';
import { hideTable } from '../notifications/decisions.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../support/postgres.js';
import { testRoles } from '../support/roles.js';

const SECRET = 'decisions-secret-retry-test-0123456789abcdef0123456789';
const role = testRoles();

function signed(path: string, body: string, t = Math.floor(Date.now() / 1000)) {
  return {
    'content-type': 'application/json',
    'x-nightshift-signature': signDecision(SECRET, t, path, body),
  };
}

interface Fault {
  refuse(): Promise<void>;
  accept(): Promise<void>;
  close(): Promise<void>;
}

const pgSkip = await postgresUnavailable();

const backends: {
  name: string;
  skip?: string | undefined;
  open(
    dataDir: string,
  ): Promise<{ env: NodeJS.ProcessEnv; fault: () => Promise<Fault>; cleanup(): Promise<void> }>;
}[] = [
  {
    name: 'sqlite',
    async open(dataDir) {
      return {
        env: {},
        fault: async () => {
          const db = new Database(join(dataDir, DATABASE_FILE));
          db.pragma('busy_timeout = 5000');
          return {
            refuse: async () => {
              db.exec(
                `CREATE TRIGGER refuse_decisions BEFORE UPDATE ON escalations BEGIN SELECT RAISE(ABORT, 'injected: decisions refused'); END`,
              );
            },
            accept: async () => {
              db.exec('DROP TRIGGER refuse_decisions');
            },
            close: async () => {
              db.close();
            },
          };
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
      return {
        env: { NIGHTSHIFT_DATABASE_URL: TEST_DATABASE_URL, NIGHTSHIFT_DATABASE_SCHEMA: schema },
        fault: async () => {
          const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
          await client.connect();
          return {
            refuse: async () => {
              await client.query(
                `CREATE FUNCTION ${schema}.refuse_decisions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected: decisions refused'; END $$`,
              );
              await client.query(
                `CREATE TRIGGER refuse_decisions BEFORE UPDATE ON ${schema}.escalations FOR EACH ROW EXECUTE FUNCTION ${schema}.refuse_decisions()`,
              );
            },
            accept: async () => {
              await client.query(`DROP TRIGGER refuse_decisions ON ${schema}.escalations`);
              await client.query(`DROP FUNCTION ${schema}.refuse_decisions()`);
            },
            close: () => client.end(),
          };
        },
        cleanup: () => dropSchema(schema),
      };
    },
  },
];

for (const backend of backends)
  describe(`a decision that failed on our side (${backend.name})`, { skip: backend.skip }, () => {
    const r = role({
      name: 'refund-desk',
      autonomy: 'full',
      turns: [
        { escalate: { category: 'money', reason: 'refund of 250 asked' } },
        { final: { summary: 'done' } },
      ],
    });
    let served: Served;
    let fault: Fault;
    let env: NodeJS.ProcessEnv;
    let cleanup: () => Promise<void>;
    let escalationId: string;
    // --data-dir selects the embedded store, over NIGHTSHIFT_DATABASE_URL: given only for SQLite.
    const store = () => (backend.name === 'sqlite' ? ['--data-dir', r.dataDir] : []);
    const cli = (args: string[]) => runCli([...args, ...store(), '--json'], { cwd: r.dir, env });
    const post = async (body: string, headers: Record<string, string>) => {
      const res = await fetch(`${served.url}/decisions/escalation/${escalationId}`, {
        method: 'POST',
        headers,
        body,
      });
      return { status: res.status, text: await res.text() };
    };

    before(async () => {
      writeFileSync(
        join(r.dir, 'nightshift.config.yaml'),
        stringify({ people: [{ name: 'alice', decides: ['refund-*'] }] }),
      );
      const opened = await backend.open(r.dataDir);
      env = opened.env;
      cleanup = opened.cleanup;
      const paused = json<{ escalations: { id: string }[] }>(await cli(['run', r.file]));
      escalationId = paused.escalations[0]!.id;
      served = await startServe([r.file, '--port', '0', ...store(), '--poll-ms', '20'], {
        cwd: r.dir,
        env: { ...env, NIGHTSHIFT_DECISIONS_SECRET: SECRET },
      });
      fault = await opened.fault();
    });
    after(async () => {
      served?.child.kill('SIGKILL');
      await fault?.close();
      await cleanup?.();
    });

    it('decides the byte-identical retry once the store is back; a replay of it is refused', async () => {
      const body = JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' });
      const headers = signed(`/decisions/escalation/${escalationId}`, body);
      await fault.refuse();
      const failed = await post(body, headers);
      assert.ok(failed.status >= 500, `the failed decision: ${JSON.stringify(failed)}`);
      await fault.accept();
      const retried = await post(body, headers);
      assert.equal(retried.status, 200, `the sender's retry: ${JSON.stringify(retried)}`);
      const replayed = await post(body, headers);
      assert.equal(replayed.status, 401, JSON.stringify(replayed));
      assert.match(replayed.text, /replay/);
    });
  });

describe('a decision that failed where the store could not even read the matter (sqlite)', () => {
  const r = role({
    name: 'refund-desk',
    autonomy: 'full',
    turns: [
      { escalate: { category: 'money', reason: 'refund of 90 asked' } },
      { final: { summary: 'done' } },
    ],
  });
  let served: Served;
  after(() => {
    served?.child.kill('SIGKILL');
  });

  it('gives the signature back though it cannot tell whether the decision was saved; the retry decides', async () => {
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['refund-*'] }] }),
    );
    const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    const paused = json<{ runId: string; escalations: { id: string }[] }>(await cli(['run', r.file]));
    const id = paused.escalations[0]!.id;
    served = await startServe([r.file, '--port', '0', '--data-dir', r.dataDir, '--poll-ms', '20'], {
      cwd: r.dir,
      env: { NIGHTSHIFT_DECISIONS_SECRET: SECRET },
    });
    const path = `/decisions/escalation/${id}`;
    const body = JSON.stringify({ decision: 'answer', person: 'alice', text: 'refund it' });
    const headers = signed(path, body);
    const post = async () => {
      const res = await fetch(`${served.url}${path}`, { method: 'POST', headers, body });
      return { status: res.status, text: await res.text() };
    };
    // The escalations table gone from under serve: the decision and the check of whether it was saved
    // both fail. Before, the signature then stayed spent and the sender's retry was refused as a replay
    // (401) with nothing decided.
    const restore = hideTable(r.dataDir, 'escalations');
    let failed: { status: number; text: string };
    try {
      failed = await post();
    } finally {
      restore();
    }
    assert.ok(failed.status >= 500, `the failed decision: ${JSON.stringify(failed)}`);
    const retried = await post();
    assert.equal(retried.status, 200, `the sender's retry: ${JSON.stringify(retried)}`);
    assert.equal((JSON.parse(retried.text) as { by: string }).by, 'alice');
    const shown = json<{ escalationRecords: { status: string; answeredBy: string }[] }>(
      await cli(['show', paused.runId]),
    );
    assert.deepEqual(
      shown.escalationRecords.map((e) => [e.status, e.answeredBy]),
      [['answered', 'alice']],
    );
    const replayed = await post();
    assert.equal(replayed.status, 401, JSON.stringify(replayed));
  });
});
