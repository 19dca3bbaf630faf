// `nightshift mcp` over stdio, driven by the official SDK's Client spawning the real CLI: the tools it
// lists (none of which decides), a run started and read back, the inbox, a run-log resource; bad input
// refused before anything is recorded. The person's decision (the CLI's `approve`) drives the run on.
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { json, runCli } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';
import { DECIDING_WORDS, toolJson, toolText } from './support.js';

const role = testRoles();
const data = tempDir('nightshift-mcp-');
after(() => data.cleanup());

const summarizer = role({
  name: 'summarizer',
  autonomy: 'full',
  tools: [],
  ledgerTools: false,
  turns: [{ final: { summary: 'all quiet' } }],
  extra: {
    input: {
      type: 'object',
      properties: { ticket: { type: 'string' } },
      required: ['ticket'],
      additionalProperties: false,
    },
  },
});
const writer = role({
  name: 'writer',
  autonomy: 'draft',
  turns: [{ call: 'fs.write', args: { path: 'out.txt', content: 'hello' } }, { final: { summary: 'wrote' } }],
});

const slow = role({
  name: 'slow',
  autonomy: 'full',
  tools: [],
  ledgerTools: false,
  turns: [{ delayMs: 1500, final: { summary: 'slowly' } }],
});

describe('nightshift mcp (stdio, the SDK client)', () => {
  let client: Client;
  let transport: StdioClientTransport;
  before(async () => {
    transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        join(repoRoot, 'bin', 'nightshift.js'),
        'mcp',
        summarizer.file,
        writer.file,
        slow.file,
        '--data-dir',
        data.path,
      ],
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

  it('lists the six tools, none of which approves, rejects, answers or cancels', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(
      tools.map((t) => t.name),
      ['roles.list', 'runs.start', 'runs.get', 'runs.list', 'inbox.list', 'events.send'],
    );
    for (const t of tools) {
      for (const word of DECIDING_WORDS) assert.ok(!t.name.includes(word), `${t.name} looks like a decision`);
      assert.ok(t.outputSchema, `${t.name} has an output schema`);
    }
  });

  it('roles.list gives each role with its input schema', async () => {
    const roles = toolJson(await client.callTool({ name: 'roles.list', arguments: {} })).roles as {
      name: string;
      input: unknown;
      startable: boolean;
    }[];
    assert.deepEqual(
      roles.map((r) => r.name),
      ['summarizer', 'writer', 'slow'],
    );
    assert.deepEqual((roles[0]!.input as { required: string[] }).required, ['ticket']);
  });

  it('starts a run, waits for its result, and reads it back with its steps and its log', async () => {
    const started = await client.callTool({
      name: 'runs.start',
      arguments: { role: 'summarizer', input: { ticket: 'T-1' } },
    });
    assert.equal(started.isError, undefined, toolText(started));
    const run = started.structuredContent as {
      runId: string;
      status: string;
      output: unknown;
      settled: boolean;
    };
    assert.equal(run.status, 'succeeded');
    assert.equal(run.settled, true);
    assert.deepEqual(run.output, { summary: 'all quiet' });

    const got = toolJson(await client.callTool({ name: 'runs.get', arguments: { runId: run.runId } }));
    assert.equal(got.status, 'succeeded');
    assert.deepEqual(got.input, { ticket: 'T-1' });
    const kinds = (got.stepLog as { kind: string }[]).map((s) => s.kind);
    assert.equal(kinds[0], 'run_started');
    assert.ok(kinds.includes('run_finished') || kinds.at(-1)!.includes('finish'), kinds.join(','));

    const log = await client.readResource({ uri: got.log as string });
    const text = (log.contents[0] as { text: string }).text;
    assert.match(text, new RegExp(run.runId));
    assert.match(text, /run_started/);

    const listed = toolJson(await client.callTool({ name: 'runs.list', arguments: { role: 'summarizer' } }));
    assert.deepEqual(
      (listed.runs as { runId: string }[]).map((r) => r.runId),
      [run.runId],
    );
    // The run was recorded as started by the MCP client's user, in the store the CLI reads.
    const shown = json(await runCli(['show', run.runId, '--json', '--data-dir', data.path]));
    assert.equal(shown.status, 'succeeded');
  });

  it('a repeated runs.start with the same key waits for the one run as the first does', async () => {
    // Before: the repeat found the run in flight and answered at once, `running`, not settled, where over
    // /mcp it waited: both now answer with the run's result.
    const start = () =>
      client.callTool({
        name: 'runs.start',
        arguments: { role: 'slow', idempotencyKey: 'same-start', waitSeconds: 30 },
      });
    const first = start();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const [a, b] = await Promise.all([first, start()]);
    const runA = toolJson(a) as { runId: string; status: string; settled: boolean };
    const runB = toolJson(b) as { runId: string; status: string; settled: boolean };
    assert.equal(runB.runId, runA.runId);
    for (const run of [runA, runB]) {
      assert.equal(run.status, 'succeeded');
      assert.equal(run.settled, true);
    }
  });

  it('refuses input that does not match the role, and records no run', async () => {
    const refused = await client.callTool({
      name: 'runs.start',
      arguments: { role: 'summarizer', input: { ticket: 7 } },
    });
    assert.equal(refused.isError, true);
    assert.match(toolText(refused), /INPUT_INVALID.*summarizer/);
    const unknown = await client.callTool({ name: 'runs.start', arguments: { role: 'nobody' } });
    assert.match(toolText(unknown), /ROLE_NOT_FOUND.*summarizer, writer/);
    const listed = toolJson(await client.callTool({ name: 'runs.list', arguments: { role: 'summarizer' } }));
    assert.equal((listed.runs as unknown[]).length, 1);
  });

  it('refuses an idempotency key over 200 characters or with a space or control character, recording no run', async () => {
    for (const key of ['k'.repeat(201), 'a\nb', 'two words']) {
      const refused = await client.callTool({
        name: 'runs.start',
        arguments: { role: 'summarizer', input: { ticket: 'T-1' }, idempotencyKey: key },
      });
      assert.equal(refused.isError, true, toolText(refused));
      assert.match(toolText(refused), /1 to 200 visible ASCII characters/);
    }
    const listed = toolJson(await client.callTool({ name: 'runs.list', arguments: { role: 'summarizer' } }));
    assert.equal((listed.runs as unknown[]).length, 1);
  });

  it('a drafted write waits in the inbox; only a person (the CLI) approves it, and the run goes on', async () => {
    const started = toolJson(await client.callTool({ name: 'runs.start', arguments: { role: 'writer' } }));
    assert.equal(started.status, 'awaiting_approval');
    assert.match(started.next as string, /no MCP tool can/);
    assert.equal(writer.exists('out.txt'), false);

    const inbox = toolJson(await client.callTool({ name: 'inbox.list', arguments: {} }));
    const approvals = inbox.approvals as {
      id: string;
      runId: string;
      calls: { tool: string; args: unknown }[];
    }[];
    assert.equal(approvals.length, 1);
    assert.equal(approvals[0]!.runId, started.runId);
    assert.deepEqual(approvals[0]!.calls[0]!.tool, 'fs.write');

    const approved = json(
      await runCli(['approve', approvals[0]!.id, '--json', '--data-dir', data.path], {
        env: { NIGHTSHIFT_ACTOR: 'alice' },
      }),
    );
    assert.equal(approved.status, 'succeeded');
    assert.equal(writer.read('out.txt'), 'hello');
    const after = toolJson(
      await client.callTool({ name: 'runs.get', arguments: { runId: started.runId, steps: false } }),
    );
    assert.equal(after.status, 'succeeded');
    assert.equal(after.stepLog, undefined);
  });
});

describe('nightshift mcp --config (started from another folder, as MCP clients do)', () => {
  it('resolves relative role paths and the data dir in the config’s folder, as the docs’ .mcp.json does', async () => {
    const project = dirname(summarizer.file);
    writeFileSync(join(project, 'nightshift.config.yaml'), 'people: []\n');
    const elsewhere = tempDir('nightshift-mcp-cwd-');
    const client = new Client({ name: 'nightshift-test', version: '1.0.0' });
    try {
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          // `role.yaml`, not an absolute path: it is in the project, not in the folder the client starts in.
          args: [
            join(repoRoot, 'bin', 'nightshift.js'),
            'mcp',
            basename(summarizer.file),
            '--config',
            join(project, 'nightshift.config.yaml'),
          ],
          cwd: elsewhere.path,
          env: { PATH: process.env.PATH ?? '', NIGHTSHIFT_ACTOR: 'tester' },
          stderr: 'pipe',
        }),
      );
      const roles = toolJson(await client.callTool({ name: 'roles.list', arguments: {} })).roles as {
        name: string;
      }[];
      assert.deepEqual(
        roles.map((r) => r.name),
        ['summarizer'],
      );
      const started = toolJson(
        await client.callTool({
          name: 'runs.start',
          arguments: { role: 'summarizer', input: { ticket: 'T-1' } },
        }),
      );
      assert.equal(started.status, 'succeeded');
      // Recorded in the project's default data dir, not in the folder the client started the server in.
      assert.ok(existsSync(join(project, '.nightshift')), 'the project’s .nightshift holds the store');
      assert.ok(!existsSync(join(elsewhere.path, '.nightshift')), 'nothing written where the client started');
    } finally {
      await client.close();
      elsewhere.cleanup();
    }
  });
});
