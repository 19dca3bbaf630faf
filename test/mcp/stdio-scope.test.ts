// `nightshift mcp --scope`: the person who starts the stdio server chooses what the agent may do, in a
// token's words. With `runs:read` only, the agent reads (roles, runs, the inbox) and its runs.start and
// events.send are refused as a read-only token's are on /mcp, recording nothing.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { runCli } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';
import { toolJson, toolText } from './support.js';

const role = testRoles();
const data = tempDir('nightshift-mcp-scope-');
after(() => data.cleanup());

const summarizer = role({
  name: 'summarizer',
  autonomy: 'full',
  tools: [],
  ledgerTools: false,
  turns: [{ final: { summary: 'all quiet' } }],
});

describe('nightshift mcp --scope runs:read', () => {
  let client: Client;
  before(async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [
        join(repoRoot, 'bin', 'nightshift.js'),
        'mcp',
        summarizer.file,
        '--data-dir',
        data.path,
        '--scope',
        'runs:read',
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

  it('reads, but refuses runs.start and events.send with AUTH_FORBIDDEN and records no run', async () => {
    const roles = toolJson(await client.callTool({ name: 'roles.list', arguments: {} }));
    assert.equal((roles.roles as { name: string }[])[0]?.name, 'summarizer');
    const started = await client.callTool({ name: 'runs.start', arguments: { role: 'summarizer' } });
    assert.equal(started.isError, true);
    assert.match(toolText(started), /^\[AUTH_FORBIDDEN\] .*events:send.*--scope runs:read,events:send/);
    const sent = await client.callTool({ name: 'events.send', arguments: { event: 'tick' } });
    assert.equal(sent.isError, true);
    assert.match(toolText(sent), /^\[AUTH_FORBIDDEN\]/);
    const listed = toolJson(await client.callTool({ name: 'runs.list', arguments: {} }));
    assert.deepEqual(listed.runs, []);
  });
});

describe('nightshift mcp --scope that gives nothing here', () => {
  for (const [scope, words] of [
    ['runs:read,decide', /'decide' is not a scope of the MCP server/],
    ['events:send', /runs:read is needed/],
  ] as const) {
    it(`--scope ${scope} is a usage error (exit 2) before anything is served`, async () => {
      const r = await runCli(['mcp', summarizer.file, '--data-dir', data.path, '--scope', scope]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, words);
    });
  }
});
