// runs.start when the client stops waiting: it cancels the call (notifications/cancelled) or its connection
// closes (an HTTP client that hung up). The run goes on, queued for the workers as any started run; the
// wait ends with the request. It used to go on reading the store every 100 ms for up to waitSeconds
// (300 s at most) for an answer no one would read. The official SDK on both ends (linked in memory), the
// server with /mcp's own doors (mcpHttpDoors), a real runtime on SQLite, and no worker: the run stays
// queued, so only the request can end the wait.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { pino } from 'pino';
import type { Authenticator } from '../../src/auth/index.js';
import { mcpHttpDoors } from '../../src/mcp/http.js';
import { createMcpServer } from '../../src/mcp/server.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime, type Runtime } from '../../src/runtime.js';
import { type TestRole, writeTestRole } from '../support/roles.js';
import { waitFor } from '../support/wait.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

/** The runtime, counting the reads of a run (what runs.start's wait does every 100 ms). */
function counting(rt: Runtime): { runtime: Runtime; reads: () => number } {
  let reads = 0;
  const runtime = new Proxy(rt, {
    get(target, key) {
      if (key === 'get')
        return (id: string) => {
          reads++;
          return target.get(id);
        };
      const value = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { runtime, reads: () => reads };
}

/** Resolves once `reads()` has not grown over a few polls in a row: the wait has stopped reading. */
async function readsStop(reads: () => number): Promise<void> {
  let last = -1;
  let still = 0;
  await waitFor(async () => {
    const now = reads();
    still = now === last ? still + 1 : 0;
    last = now;
    await new Promise((r) => setTimeout(r, 150));
    return still >= 4 ? true : undefined;
  }, 'runs.start to stop reading the store after its request ended');
}

async function setUp() {
  const r = writeTestRole({
    name: 'slow',
    autonomy: 'full',
    tools: [],
    ledgerTools: false,
    turns: [{ final: { summary: 'done' } }],
  });
  made.push(r);
  const rt = await createRuntime({ dataDir: r.dataDir });
  const role = await loadRoleFile(r.file);
  const { runtime, reads } = counting(rt);
  const doors = mcpHttpDoors(
    {
      runtime,
      roles: [role],
      auth: {} as Authenticator, // the caller below is already authenticated
      deliver: (ro, input, key, trigger) => rt.deliver(ro, input, { idempotencyKey: key, trigger }),
      wake: () => {},
      log: pino({ level: 'silent' }),
    },
    { kind: 'service', name: 'agent', scopes: ['runs:read', 'events:send'], tokenId: 't', via: 'token' },
  );
  const server = createMcpServer(doors);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'nightshift-test', version: '1.0.0' });
  await client.connect(clientSide);
  return { rt, reads, client, server };
}

describe('runs.start whose request ends before the run does', () => {
  for (const how of ['cancelled', 'disconnected'] as const) {
    it(`${how}: the run stays queued for the workers, and the wait stops reading the store`, async () => {
      const { rt, reads, client, server } = await setUp();
      const controller = new AbortController();
      try {
        const call = client.callTool(
          { name: 'runs.start', arguments: { role: 'slow', waitSeconds: 300 } },
          undefined,
          { signal: controller.signal, timeout: 600_000 },
        );
        call.catch(() => {});
        // The run is recorded and the wait is polling it.
        const [run] = await waitFor(async () => {
          const runs = await rt.list();
          return runs.length === 1 && reads() >= 3 ? runs : undefined;
        }, 'the run to be recorded and waited for');
        if (how === 'cancelled') controller.abort('the agent stopped waiting');
        else await client.close();
        await assert.rejects(call);
        await readsStop(reads);
        // Not cancelled by the client's going: a started run is the workers' to drive.
        assert.equal((await rt.get(run!.id))?.run.status, 'queued');
      } finally {
        await client.close().catch(() => {});
        await server.close().catch(() => {});
        await rt.close();
      }
    });
  }
});
