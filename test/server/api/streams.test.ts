// Server-sent event streams on a real daemon on loopback: a token holds at most `perToken` open streams and
// the server `total` (one more is refused 429 TOO_MANY_STREAMS; closing one frees its slot), and a stream
// whose token is revoked while it is open is ended at its next heartbeat (the heartbeat re-authenticates),
// while another token's stream goes on; a client gone before its stream began holds no slot.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { openPostgresStore } from '../../../src/store/postgres/index.js';
import { ALL_SCOPES, type ApiServer, startApi } from '../../support/api.js';
import { dropSchema, freshSchema, postgresUnavailable, TEST_DATABASE_URL } from '../../support/postgres.js';
import { readEvents, type SseEvent } from '../../support/sse.js';
import { waitFor } from '../../support/wait.js';
import { apiRoles, people } from './fixture.js';

const { drafting, escalating } = apiRoles();
const skipPostgres = await postgresUnavailable();

describe('event streams: caps and re-authentication', () => {
  let api: ApiServer;
  let runId: string;
  const bearer = (label: string) => ({ authorization: `Bearer ${api.secrets[label]}` });
  const path = () => `/api/v1/runs/${runId}/events`;
  /** Opens a stream and resolves once its first comment arrived (it is counted by then). */
  async function open(label: string) {
    let opened: () => void = () => {};
    const started = new Promise<void>((r) => {
      opened = r;
    });
    const s = readEvents(`${api.url}${path()}`, bearer(label), (evs) => {
      if (evs.length === 1) opened();
      return false;
    });
    await started;
    return s;
  }

  before(async () => {
    api = await startApi({
      roleFiles: [drafting.file, escalating.file],
      runtime: { dataDir: drafting.dataDir },
      people,
      callers: {
        'tok-alice': { name: 'alice', kind: 'person', scopes: ALL_SCOPES },
        'tok-bot': { name: 'ci-bot', kind: 'service', scopes: ['runs:read'] },
        'tok-watcher': { name: 'alice', kind: 'person', scopes: ['runs:read'] },
      },
      token: 'tok-alice',
      stream: { perToken: 2, total: 3, heartbeatMs: 40 },
    });
    // A paused run: its stream stays open until the client or the server ends it.
    runId = (await api.rt.run(drafting.file, {})).runId;
  });
  after(() => api.close());

  it('refuses a third stream to one token and a fourth to the server with 429, until one closes', async () => {
    const a1 = await open('tok-alice');
    const a2 = await open('tok-alice');
    const third = await api.call('GET', path(), { token: 'tok-alice' });
    assert.equal(third.status, 429);
    const err = (third.body as { error: { code: string; message: string } }).error;
    assert.equal(err.code, 'TOO_MANY_STREAMS');
    assert.match(err.message, /at most 2/);

    // Another token has its own allowance, within the server's total of 3.
    const b1 = await open('tok-bot');
    const overall = await api.call('GET', path(), { token: 'tok-bot' });
    assert.equal(overall.status, 429);
    assert.equal((overall.body as { error: { code: string } }).error.code, 'TOO_MANY_STREAMS');
    assert.match((overall.body as { error: { message: string } }).error.message, /this server .*at most 3/);
    assert.equal(api.daemon.api.streams.size(), 3);

    // Closing one frees its slot (for its token and the server).
    a1.abort();
    await waitFor(async () => (api.daemon.api.streams.size() === 2 ? true : undefined), 'a slot to free');
    const a3 = await open('tok-alice');
    assert.equal(api.daemon.api.streams.size(), 3);
    for (const s of [a2, b1, a3]) s.abort();
    await waitFor(async () => (api.daemon.api.streams.size() === 0 ? true : undefined), 'all to close');
  });

  it("ends a stream at the next heartbeat once its token is revoked; another token's stream goes on", async () => {
    const heartbeats = (evs: SseEvent[]) => evs.filter((e) => e.comment).length;
    let watcherEvents: SseEvent[] = [];
    const watched = readEvents(`${api.url}${path()}`, bearer('tok-watcher'), (evs) => {
      watcherEvents = evs;
      return false;
    });
    let bobEvents: SseEvent[] = [];
    const other = readEvents(`${api.url}${path()}`, bearer('tok-bot'), (evs) => {
      bobEvents = evs;
      return false;
    });
    // Both alive: a heartbeat after the opening comment.
    await waitFor(async () => (heartbeats(watcherEvents) >= 2 ? true : undefined), 'a heartbeat');
    await api.revoke('tok-watcher');
    const events = await watched.done;
    const last = events.at(-1)!;
    assert.equal(last.name, 'error');
    assert.match((last.data as { message: string }).message, /credentials ended/);
    // With the stable code of the refusal, as every failure has (docs/api.md).
    assert.equal((last.data as { code: string }).code, 'AUTH_REQUIRED');
    // The other token's stream still gets heartbeats after the revoked one ended.
    const seen = heartbeats(bobEvents);
    await waitFor(async () => (heartbeats(bobEvents) > seen + 1 ? true : undefined), 'more heartbeats');
    assert.equal(api.daemon.api.streams.size(), 1);
    other.abort();
    await waitFor(async () => (api.daemon.api.streams.size() === 0 ? true : undefined), 'all to close');
  });
});

// The server reads the run before it takes a slot; a client that leaves during that read (here: held for
// certain by a lock on the runs table, on Postgres) left before the stream's close listener existed.
describe('event streams: a client gone before its stream began', { skip: skipPostgres }, () => {
  const schema = freshSchema();
  let api: ApiServer;
  let runId: string;

  before(async () => {
    api = await startApi({
      roleFiles: [drafting.file],
      runtime: { store: openPostgresStore({ connectionString: TEST_DATABASE_URL, schema }) },
      people,
      callers: { 'tok-alice': { name: 'alice', kind: 'person', scopes: ALL_SCOPES } },
      token: 'tok-alice',
      serve: () => [],
      stream: { perToken: 2, total: 3 },
    });
    runId = (await api.rt.run(drafting.file, {})).runId;
  });
  after(async () => {
    await api.close();
    await dropSchema(schema);
  });

  /** Sends a stream request whole, then destroys the socket. */
  const leaveEarly = () =>
    new Promise<void>((resolve, reject) => {
      const socket = connect(Number(new URL(api.url).port), '127.0.0.1', () => {
        socket.write(
          `GET /api/v1/runs/${runId}/events HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${api.secrets['tok-alice']}\r\n\r\n`,
          () => {
            socket.destroy();
            resolve();
          },
        );
      });
      socket.on('error', reject);
    });

  it('frees its slot: more such clients than the cap leave room for a stream', async () => {
    const lock = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await lock.connect();
    try {
      await lock.query('BEGIN');
      await lock.query(`LOCK TABLE ${schema}.runs IN ACCESS EXCLUSIVE MODE`);
      // More than the token's cap of 2: each would otherwise keep a slot (and a poll) until the run ends.
      for (let i = 0; i < 4; i++) await leaveEarly();
      // Time for the server to see each client gone while its read of the run waits on the lock.
      await sleep(500);
      await lock.query('COMMIT');
    } finally {
      await lock.end();
    }
    await sleep(500);
    await waitFor(
      async () => (api.daemon.api.streams.size() === 0 ? true : undefined),
      'no stream left',
      5000,
    );
    const res = await fetch(`${api.url}/api/v1/runs/${runId}/events`, {
      headers: { authorization: `Bearer ${api.secrets['tok-alice']}` },
    });
    assert.equal(res.status, 200);
    assert.equal(api.daemon.api.streams.size(), 1);
    await res.body?.cancel();
    await waitFor(async () => (api.daemon.api.streams.size() === 0 ? true : undefined), 'all to close');
  });
});
