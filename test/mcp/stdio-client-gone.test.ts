// `nightshift mcp` over stdio when the client stops reading: it closes its end of the server's stdout
// but keeps the server's stdin open (a client that crashed half-way, or dropped the reading side). No
// answer can reach it any more, so the session is over: the server stops serving, lets runs it started
// settle, and exits 0, as when stdin ends. Before, it stayed up for good, answering no one, its writes
// waiting for a drain that never came.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { cliPath } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const role = testRoles();
const data = tempDir('nightshift-mcp-gone-');
after(() => data.cleanup());

const quiet = role({
  name: 'quiet',
  autonomy: 'full',
  tools: [],
  ledgerTools: false,
  turns: [{ final: {} }],
});

const request = (id: number, method: string, params: unknown = {}) =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method, params })}\n`;

describe('nightshift mcp (stdio): a client that stops reading stdout', () => {
  it('ends the session and exits 0 when stdout is closed while stdin stays open', async () => {
    const child = spawn(process.execPath, [cliPath, 'mcp', quiet.file, '--data-dir', data.path], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', NIGHTSHIFT_ACTOR: 'tester' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      // Served: the initialize request is answered.
      child.stdin.write(
        request(1, 'initialize', {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 't', version: '1' },
        }),
      );
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      // The client drops its reading end and keeps writing requests (and stdin open).
      child.stdout.destroy();
      for (let id = 2; id < 50; id++) child.stdin.write(request(id, 'tools/list'));
      const code = await Promise.race([
        exited,
        new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 15_000).unref()),
      ]);
      assert.equal(code, 0, `nightshift mcp should end its session and exit 0, got ${code}: ${stderr}`);
      assert.doesNotMatch(stderr, /EPIPE|at .*\.js:\d+/, 'no stack trace');
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
  });
});
