// A stdio MCP server that writes a lot to stderr keeps answering: its stderr is read as it comes (an
// unread pipe fills and blocks the server), and what it says reaches the log sink up to a cap.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { connectMcpServers } from '../../src/tools/mcp/connect.js';
import { fixtures } from '../support/paths.js';
import { testRole, toolContext } from '../support/role.js';
import { waitFor } from '../support/wait.js';

describe('a stdio MCP server that logs 1 MiB to stderr', () => {
  const role = testRole({
    tools: ['noisy.chatter'],
    // A generous limit: before the fix the call blocked until this ran out.
    limits: { ...testRole().limits, execSeconds: 60 },
    mcp: [
      {
        name: 'noisy',
        command: [process.execPath, fixtures('mcp', 'noisy-server.mjs')],
        env: [],
        tools: { chatter: 'read' },
      },
    ],
  });
  const logged: string[] = [];
  let close: (() => Promise<void>) | undefined;
  after(() => close?.());

  it('answers the call, and its stderr reaches the log sink up to the cap', async () => {
    const mcp = await connectMcpServers(role, process.env, {
      onStderr: (server, text) => logged.push(`${server}: ${text}`),
    });
    close = mcp.close;
    const chatter = mcp.tools.find((t) => t.name === 'noisy.chatter')!;
    for (let i = 0; i < 2; i++) {
      const result = await chatter.run({}, toolContext(role));
      assert.deepEqual(result, { content: 'answered after 1 MiB of stderr' });
    }
    // stderr and stdout are separate pipes: the answer can be read before the last of the stderr (on
    // Node 24 a child's stderr pipe writes need not block the child), so wait for the cap to be reached.
    const all = await waitFor(async () => {
      const text = logged.join('');
      return /further stderr of noisy is not logged/.test(text) ? text : undefined;
    }, 'the stderr cap notice');
    assert.match(all, /^noisy: noisy server starting/);
    assert.ok(all.length <= 64 * 1024 + 1000, `the log got ${all.length} characters`);
  });
});
