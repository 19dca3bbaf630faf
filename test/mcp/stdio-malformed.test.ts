// `nightshift mcp` over stdio, spoken to line by line by a real child process: a line that is not a
// JSON-RPC message gets the JSON-RPC 2.0 error for it (-32700, -32600) and the lines after it are served.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { cliPath } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const role = testRoles();
const data = tempDir('nightshift-mcp-lines-');
after(() => data.cleanup());

const quiet = role({
  name: 'quiet',
  autonomy: 'full',
  tools: [],
  ledgerTools: false,
  turns: [{ final: {} }],
});

interface Reply {
  jsonrpc: string;
  id: string | number | null;
  result?: Record<string, unknown>;
  error?: { code: number; message: string };
}

/** Starts `nightshift mcp`, writes `lines`, and collects `count` reply lines from stdout. */
async function exchange(lines: (string | Buffer)[], count: number): Promise<Reply[]> {
  const child = spawn(process.execPath, [cliPath, 'mcp', quiet.file, '--data-dir', data.path], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', NIGHTSHIFT_ACTOR: 'tester' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const replies: Reply[] = [];
  try {
    return await new Promise<Reply[]>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(
        () => reject(new Error(`${replies.length} of ${count} replies in 20s: ${out}\n${stderr}`)),
        20_000,
      );
      child.stdout.on('data', (d) => {
        out += d;
        for (let nl = out.indexOf('\n'); nl !== -1; nl = out.indexOf('\n')) {
          replies.push(JSON.parse(out.slice(0, nl)) as Reply);
          out = out.slice(nl + 1);
        }
        if (replies.length >= count) {
          clearTimeout(timer);
          resolve(replies);
        }
      });
      for (const line of lines) child.stdin.write(line);
    });
  } finally {
    child.stdin.end();
    await new Promise((resolve) => child.on('close', resolve));
  }
}

const initialize = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
});

describe('nightshift mcp (stdio): lines that are not JSON-RPC messages', () => {
  it('answers each bad line with its JSON-RPC error and serves the lines after it', async () => {
    const replies = await exchange(
      [
        `${initialize}\n`,
        'this is not json\n',
        '{"jsonrpc":"2.0","id":2,"method":"tools/list"\n', // cut short
        '{"jsonrpc":"2.0","id":3}\n', // neither a method nor a result
        '{"jsonrpc":"1.0","id":4,"method":"ping"}\n',
        '{"jsonrpc":"2.0","method":7}\n',
        '[]\n',
        '\n', // a blank line is no message: not answered
        '{"jsonrpc":"2.0","id":"tools","method":"tools/list"}\n',
      ],
      8,
    );
    const byId = (id: Reply['id']) => replies.filter((r) => r.id === id);
    assert.ok(byId(1)[0]?.result, 'initialize answered');
    const parseErrors = replies.filter((r) => r.error?.code === -32700);
    assert.equal(parseErrors.length, 2, JSON.stringify(replies));
    for (const r of parseErrors) {
      assert.equal(r.id, null);
      assert.equal(r.jsonrpc, '2.0');
      assert.match(r.error!.message, /^Parse error: /);
    }
    assert.deepEqual(byId(3)[0]?.error, {
      code: -32600,
      message: 'Invalid Request: not a JSON-RPC 2.0 request, notification or response',
    });
    assert.deepEqual(byId(4)[0]?.error, { code: -32600, message: 'Invalid Request: jsonrpc must be "2.0"' });
    const nullInvalid = replies.filter((r) => r.id === null && r.error?.code === -32600);
    assert.deepEqual(
      nullInvalid.map((r) => r.error!.message),
      [
        'Invalid Request: method must be a string',
        'Invalid Request: batches are not supported: send one message per line',
      ],
    );
    // The server went on: the last request has its answer.
    const tools = byId('tools')[0]?.result?.tools as { name: string }[] | undefined;
    assert.ok(
      tools?.some((t) => t.name === 'runs.start'),
      JSON.stringify(byId('tools')),
    );
    assert.equal(replies.length, 8);
  });

  it('skips a line longer than 10 MiB with a parse error, and reads the next line', async () => {
    const long = Buffer.alloc(10 * 1024 * 1024 + 10, 0x61);
    const replies = await exchange(
      [`${initialize}\n`, long, '\n', '{"jsonrpc":"2.0","id":9,"method":"ping"}\n'],
      3,
    );
    assert.deepEqual(replies[1], {
      jsonrpc: '2.0',
      id: null,
      error: { code: -32700, message: 'Parse error: a line over 10485760 bytes was skipped' },
    });
    assert.deepEqual(replies[2], { jsonrpc: '2.0', id: 9, result: {} });
  });
});
