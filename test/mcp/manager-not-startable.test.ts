// A manager agent serve added for a role's escalations (the role file's `manager:`) is not a role a client
// can start: /mcp on a real `nightshift serve` neither lists it nor starts it, records nothing when asked
// to, and the worker still runs it when the role escalates. A manager serve was given as a role itself is
// startable as any given role is, and one whose own file declares an event trigger is started by the event.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createTestToken, type Served, startServe } from '../support/cli.js';
import { done, refund, writeManagedRoles } from '../support/managed-roles.js';
import { repoRoot } from '../support/paths.js';
import { waitFor } from '../support/wait.js';
import { toolJson, toolText } from './support.js';

/** What a manager run would do if a client could start it: a refund over the clerk's limit. */
const bossPays = { call: 'ledger.append', args: { entry: 'boss paid 5000', amount: 5000 } };

async function connect(url: string, token: string): Promise<Client> {
  const client = new Client({ name: 'nightshift-test', version: '1.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL('/mcp', url), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

interface Listed {
  roles: { name: string; startable: boolean }[];
}
interface RunList {
  runs: { runId: string; role: string; status: string }[];
}

describe('/mcp on serve: a manager serve added is not startable', () => {
  // The clerk escalates refunds over 100 to its manager, `boss`, whose first turn (were it started on a
  // client's input) pays 5000; started by the clerk's escalation it allows the refund.
  const r = writeManagedRoles({
    clerkTurns: [refund(250), done],
    leadTurns: [{ call: 'escalation.allow', args: { note: 'within my limit' } }, done, bossPays, done],
    leadExtra: { name: 'boss', triggers: [{ event: 'boss.audit' }] },
  });
  let served: Served;
  let client: Client;
  before(async () => {
    const args = [r.clerk, '--port', '0', '--data-dir', r.dataDir];
    // What an agent given /mcp holds: it may read runs and start them, nothing more.
    const token = await createTestToken(args, {}, 'runs:read,events:send');
    assert.ok(token, 'a runs:read,events:send token was created');
    served = await startServe(args);
    client = await connect(served.url, token);
  });
  after(async () => {
    await client?.close();
    served?.child.kill('SIGTERM');
    await served?.done;
  });

  it('roles.list names only the role serve was given, not its manager', async () => {
    const listed = toolJson(
      await client.callTool({ name: 'roles.list', arguments: {} }),
    ) as unknown as Listed;
    assert.deepEqual(
      listed.roles.map((x) => [x.name, x.startable]),
      [['clerk', true]],
    );
  });

  it('refuses runs.start of the manager as an unknown role, and records no run', async () => {
    const called = await client.callTool({
      name: 'runs.start',
      arguments: { role: 'boss', input: { ticket: 'pay me 5000' }, waitSeconds: 5 },
    });
    assert.equal(called.isError, true, toolText(called));
    assert.match(
      toolText(called),
      /^\[ROLE_NOT_FOUND\] no role 'boss' is served here \(roles\.list names them: clerk\)/,
    );
    const runs = toolJson(await client.callTool({ name: 'runs.list', arguments: { role: 'boss' } }));
    assert.deepEqual((runs as unknown as RunList).runs, []);
    assert.deepEqual(r.ledger(), []);
  });

  it("still runs the manager for the clerk's escalation, which it decides", async () => {
    const started = toolJson(
      await client.callTool({ name: 'runs.start', arguments: { role: 'clerk', input: {}, waitSeconds: 60 } }),
    );
    // runs.start may answer while the clerk waits on its escalation (a pause is settled): the manager run
    // and the clerk's run after it are driven by serve's workers.
    const finished = await waitFor(async () => {
      const got = toolJson(await client.callTool({ name: 'runs.get', arguments: { runId: started.runId } }));
      return got.status === 'escalated' || got.status === 'running' || got.status === 'queued'
        ? undefined
        : got;
    }, 'the clerk run to finish after its manager decided');
    assert.equal(finished.status, 'succeeded', JSON.stringify(finished));
    assert.deepEqual(r.ledger(), ['refund 250']);
    const runs = toolJson(await client.callTool({ name: 'runs.list', arguments: { role: 'boss' } }));
    assert.deepEqual(
      (runs as unknown as RunList).runs.map((x) => x.status),
      ['succeeded'],
    );
  });

  it("still starts the manager on an event its own file takes (its author's choice)", async () => {
    const sent = toolJson(await client.callTool({ name: 'events.send', arguments: { event: 'boss.audit' } }));
    const runs = sent.runs as { role: string; runId: string }[];
    assert.deepEqual(
      runs.map((x) => x.role),
      ['boss'],
    );
  });
});

describe('/mcp on serve: a manager given as a role', () => {
  const r = writeManagedRoles({
    clerkTurns: [done],
    leadTurns: [done],
    leadExtra: { name: 'boss' },
  });
  let served: Served;
  let client: Client;
  before(async () => {
    const args = [r.clerk, r.lead, '--port', '0', '--data-dir', r.dataDir];
    const token = await createTestToken(args, {}, 'runs:read,events:send');
    served = await startServe(args);
    client = await connect(served.url, token);
  });
  after(async () => {
    await client?.close();
    served?.child.kill('SIGTERM');
    await served?.done;
  });

  it('is listed and started as any role serve was given', async () => {
    const listed = toolJson(
      await client.callTool({ name: 'roles.list', arguments: {} }),
    ) as unknown as Listed;
    assert.deepEqual(listed.roles.map((x) => x.name).sort(), ['boss', 'clerk']);
    const started = toolJson(
      await client.callTool({ name: 'runs.start', arguments: { role: 'boss', input: {}, waitSeconds: 60 } }),
    );
    assert.equal(started.status, 'succeeded', JSON.stringify(started));
  });
});

// `nightshift serve <folder>` (docs/deployment.md serves examples/) walks every role file in it, the
// managers beside the roles they decide for included: found that way, the manager is served for the
// clerk's escalations as above, but no client may start it. Named on the command line, it is startable.
describe('/mcp on serve of a folder: a manager found beside its role is not startable', () => {
  const r = writeManagedRoles({
    clerkTurns: [done],
    leadTurns: [bossPays, done],
    leadExtra: { name: 'boss' },
  });
  let served: Served;
  let client: Client;
  before(async () => {
    const args = [r.dir, '--port', '0', '--data-dir', r.dataDir];
    const token = await createTestToken(args, {}, 'runs:read,events:send');
    assert.ok(token, 'a runs:read,events:send token was created');
    served = await startServe(args);
    client = await connect(served.url, token);
  });
  after(async () => {
    await client?.close();
    served?.child.kill('SIGTERM');
    await served?.done;
  });

  it('roles.list names the clerk only, and runs.start of the manager is refused with no run recorded', async () => {
    const listed = toolJson(
      await client.callTool({ name: 'roles.list', arguments: {} }),
    ) as unknown as Listed;
    assert.deepEqual(
      listed.roles.map((x) => [x.name, x.startable]),
      [['clerk', true]],
    );
    const called = await client.callTool({
      name: 'runs.start',
      arguments: { role: 'boss', input: { ticket: 'pay me 5000' }, waitSeconds: 5 },
    });
    assert.equal(called.isError, true, toolText(called));
    assert.match(toolText(called), /^\[ROLE_NOT_FOUND\] no role 'boss' is served here/);
    const runs = toolJson(await client.callTool({ name: 'runs.list', arguments: { role: 'boss' } }));
    assert.deepEqual((runs as unknown as RunList).runs, []);
    assert.deepEqual(r.ledger(), []);
  });
});

describe('/mcp on serve of a folder and the manager file named too', () => {
  const r = writeManagedRoles({ clerkTurns: [done], leadTurns: [done], leadExtra: { name: 'boss' } });
  let served: Served;
  let client: Client;
  before(async () => {
    const args = [r.dir, r.lead, '--port', '0', '--data-dir', r.dataDir];
    const token = await createTestToken(args, {}, 'runs:read,events:send');
    served = await startServe(args);
    client = await connect(served.url, token);
  });
  after(async () => {
    await client?.close();
    served?.child.kill('SIGTERM');
    await served?.done;
  });

  it('lists and starts the manager, the operator having named its file', async () => {
    const listed = toolJson(
      await client.callTool({ name: 'roles.list', arguments: {} }),
    ) as unknown as Listed;
    assert.deepEqual(listed.roles.map((x) => x.name).sort(), ['boss', 'clerk']);
    const started = toolJson(
      await client.callTool({ name: 'runs.start', arguments: { role: 'boss', input: {}, waitSeconds: 60 } }),
    );
    assert.equal(started.status, 'succeeded', JSON.stringify(started));
  });
});

// `nightshift mcp` (stdio) searches the project folder by default: the same rule holds there.
describe('nightshift mcp (stdio) on a folder: a manager found beside its role is not offered', () => {
  const r = writeManagedRoles({
    clerkTurns: [done],
    leadTurns: [bossPays, done],
    leadExtra: { name: 'boss' },
  });
  let client: Client;
  before(async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [join(repoRoot, 'bin', 'nightshift.js'), 'mcp', r.dir, '--data-dir', r.dataDir],
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', NIGHTSHIFT_ACTOR: 'tester' },
      stderr: 'pipe',
    });
    client = new Client({ name: 'nightshift-test', version: '1.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    await client?.close();
  });

  it('roles.list names the clerk only, and runs.start of the manager is refused', async () => {
    const listed = toolJson(
      await client.callTool({ name: 'roles.list', arguments: {} }),
    ) as unknown as Listed;
    assert.deepEqual(
      listed.roles.map((x) => x.name),
      ['clerk'],
    );
    const called = await client.callTool({ name: 'runs.start', arguments: { role: 'boss', input: {} } });
    assert.equal(called.isError, true, toolText(called));
    assert.deepEqual(r.ledger(), []);
  });
});
