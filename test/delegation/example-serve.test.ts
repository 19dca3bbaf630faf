// The shipped support desk under `nightshift serve` (a clean copy, the real CLI, a real SQLite store): an
// MCP client starts the desk; serve's workers drive billing's manager (the lead: billing's own manager, not
// the desk's), which allows the refund of 240; the refund of 900 waits for dana, who answers it from the
// CLI; the answer hands billing back to the workers' queue, and serve's workers take billing up (nobody
// serves a specialist on its own), finish it, then the desk.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { toolJson } from '../mcp/support.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { exampleProject } from '../support/examples.js';
import { waitFor } from '../support/wait.js';

const tmp = exampleProject('nightshift-support-desk-serve-');
after(() => tmp.cleanup());
const dataDir = join(tmp.path, '.nightshift');
const cwd = join(tmp.path, 'examples', 'support-desk');
const ledger = (): [string, number][] => {
  try {
    return readFileSync(join(cwd, 'workspace', 'ledger', 'refunds.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { orderId: string; amount: number })
      .map((r) => [r.orderId, r.amount]);
  } catch {
    return [];
  }
};

interface Run {
  runId: string;
  role: string;
  status: string;
}

describe('examples/support-desk under serve', () => {
  let served: Served;
  let client: Client;
  before(async () => {
    served = await startServe(['desk.yaml', '--port', '0', '--data-dir', dataDir], { cwd });
    client = new Client({ name: 'nightshift-test', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL('/mcp', served.url), {
        requestInit: { headers: served.auth },
      }),
    );
  });
  after(async () => {
    await client?.close();
    served?.child.kill('SIGTERM');
    await served?.done;
  });

  it("serve drives billing's lead, and takes billing up again after dana's answer", async () => {
    const started = toolJson(
      await client.callTool({
        name: 'runs.start',
        arguments: { role: 'support-desk', input: { ticket: 'T-7' }, waitSeconds: 120 },
      }),
    );
    const deskId = started.runId as string;
    const runs = async () => json<Run[]>(await runCli(['runs', '--json', '--data-dir', dataDir], { cwd }));
    // The lead's first run allows 240; its second passes 900 up to people.
    const waiting = await waitFor(
      async () => {
        const inbox = json<{
          escalations: { id: string; runId: string; context: { call?: { args: { amount: number } } } }[];
        }>(await runCli(['inbox', '--json', '--data-dir', dataDir], { cwd }));
        const e = inbox.escalations.find((x) => x.context.call?.args.amount === 900);
        return e;
      },
      "the lead to allow 240 and pass 900 up (serve's workers drive billing's manager)",
      60_000,
    );
    assert.deepEqual(ledger(), [['B-2002', 240]]);
    const leads = (await runs()).filter((r) => r.role === 'lead');
    assert.equal(leads.length, 2);
    assert.ok(
      leads.every((r) => r.status !== 'queued'),
      JSON.stringify(leads),
    );

    const answered = await runCli(
      [
        'answer',
        waiting.id,
        'Cancelled in time: refund it',
        '--allow-call',
        '--as',
        'dana',
        '--data-dir',
        dataDir,
      ],
      { cwd },
    );
    assert.equal(answered.code, 0, answered.stderr);
    assert.match(answered.stdout, /queued for serve's workers/);
    const done = await waitFor(
      async () => {
        const desk = (await runs()).find((r) => r.runId === deskId);
        return desk?.status === 'succeeded' ? desk : undefined;
      },
      "serve's workers to finish billing, then the desk",
      60_000,
    );
    assert.equal(done.status, 'succeeded');
    assert.deepEqual(ledger(), [
      ['B-2002', 240],
      ['B-2003', 900],
    ]);
    assert.ok((await runs()).every((r) => r.status === 'succeeded' || r.status === 'cancelled'));
  });
});
