// An orchestrator paused on its specialist's escalation, read through every door of a real `nightshift
// serve` and the CLI: MCP `runs.start` and `runs.get`, `GET /api/v1/runs/{id}` (checked against the
// OpenAPI document serve publishes), and `nightshift show` (JSON and text) all list the specialist's
// pending escalation with the specialist's run id, as `run --json` does, so a client of any door learns
// what to answer for the orchestrator to go on.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { toolJson } from '../mcp/support.js';
import { json, runCli, type Served, startServe } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';

interface Escalation {
  id: string;
  runId: string;
  category: string;
  status: string;
}

const tree = writeRoleTree([
  {
    name: 'desk',
    autonomy: 'full',
    specialists: ['billing'],
    turns: [{ call: 'delegate.billing', args: { task: 'refund' } }, { final: { done: true } }],
  },
  {
    name: 'billing',
    autonomy: 'full',
    input: TASK_INPUT,
    turns: [
      { escalate: { category: 'money', reason: 'refund of 250 asked' } },
      { final: { refunded: true } },
    ],
  },
]);

describe("an orchestrator waiting on its specialist's escalation, through every door", () => {
  let served: Served;
  let client: Client;
  before(async () => {
    served = await startServe([tree.file('desk'), '--port', '0', '--data-dir', tree.dataDir]);
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

  it("MCP, the HTTP API and show list the specialist's pending escalation with its run id", async () => {
    const started = toolJson(
      await client.callTool({ name: 'runs.start', arguments: { role: 'desk', input: {}, waitSeconds: 120 } }),
    );
    assert.equal(started.status, 'escalated', JSON.stringify(started));
    const deskId = started.runId as string;
    const escalations = started.escalations as Escalation[];
    assert.equal(
      escalations.length,
      1,
      `runs.start lists the specialist's escalation: ${JSON.stringify(started)}`,
    );
    const waiting = escalations[0]!;
    assert.notEqual(waiting.runId, deskId, "the escalation is the specialist's, named by its run id");
    assert.equal(waiting.status, 'pending');
    assert.equal(waiting.category, 'money');

    const got = toolJson(
      await client.callTool({ name: 'runs.get', arguments: { runId: deskId, steps: false } }),
    );
    assert.deepEqual(got.escalations, escalations, 'runs.get lists it too');

    const res = await fetch(`${served.url}/api/v1/runs/${deskId}`, { headers: served.auth });
    assert.equal(res.status, 200);
    const detail = (await res.json()) as { summary: { escalations: Escalation[] }; escalations: unknown[] };
    assert.deepEqual(detail.summary.escalations, escalations, 'GET /runs/{id} summarises it');
    assert.deepEqual(detail.escalations, [], "the desk's own escalation records: none");
    const doc = (await (
      await fetch(`${served.url}/api/v1/openapi.json`, { headers: served.auth })
    ).json()) as {
      components: unknown;
    };
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    ajv.addSchema({ $id: 'doc', components: doc.components });
    const validate = ajv.compile({ $ref: 'doc#/components/schemas/RunDetail' });
    assert.ok(validate(detail), ajv.errorsText(validate.errors));

    const shown = await runCli(['show', deskId, '--json', '--data-dir', tree.dataDir]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.deepEqual(json<{ escalations: Escalation[] }>(shown).escalations, escalations, 'show --json too');
    const text = await runCli(['show', deskId, '--data-dir', tree.dataDir]);
    assert.ok(
      text.stdout.includes(`escalated ${waiting.id} (run ${waiting.runId}) [money] refund of 250 asked`),
      text.stdout,
    );
  });
});
