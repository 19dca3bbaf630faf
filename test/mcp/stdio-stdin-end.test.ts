// `nightshift mcp` over stdio scripted as `printf '<requests>' | nightshift mcp`: the client writes its
// requests and closes stdin at once. Every request already sent is answered before the server exits, a
// runs.start still waiting for its run too. Before, the end of stdin closed the SDK server, which dropped
// the answers of the requests still running: the run started, and the client never got its runId.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { PassThrough, Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { StdioJsonRpcTransport } from '../../src/mcp/stdio-transport.js';
import { cliPath } from '../support/cli.js';
import { repoRoot } from '../support/paths.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const role = testRoles();
const data = tempDir('nightshift-mcp-eof-');
after(() => data.cleanup());

// A run that takes a while: runs.start is still waiting for it when stdin ends.
const slow = role({
  name: 'slow',
  autonomy: 'full',
  tools: [],
  ledgerTools: false,
  turns: [{ final: { summary: 'done' }, delayMs: 400 }],
});

const request = (id: number, method: string, params: unknown = {}) =>
  JSON.stringify({ jsonrpc: '2.0', id, method, params });

interface Answer {
  id: number | string | null;
  result?: { structuredContent?: { runId?: string; status?: string }; isError?: boolean };
  error?: { code: number; message: string };
}

/** Runs `nightshift mcp`, writes `text` to its stdin and ends it at once; its answers, stderr and exit code. */
async function script(text: string): Promise<{ answers: Answer[]; stderr: string; code: number | null }> {
  const child = spawn(process.execPath, [cliPath, 'mcp', slow.file, '--data-dir', data.path], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', NIGHTSHIFT_ACTOR: 'tester' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    child.stdin.end(text);
    const code = await Promise.race([
      exited,
      new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 20_000).unref()),
    ]);
    assert.notEqual(code, 'running', `nightshift mcp should exit once stdin ends: ${stderr}`);
    const answers = stdout
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Answer);
    return { answers, stderr, code: code as number | null };
  } finally {
    child.kill('SIGKILL');
    await exited;
  }
}

const initialize = request(1, 'initialize', {
  protocolVersion: '2025-06-18',
  capabilities: {},
  clientInfo: { name: 't', version: '1' },
});
const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });

describe('nightshift mcp (stdio): the client closes stdin right after its last request', () => {
  it('answers every request sent, runs.start with its runId, then exits 0', async () => {
    const lines = [initialize, initialized];
    for (let id = 2; id <= 11; id++) lines.push(request(id, 'tools/list'));
    lines.push(request(12, 'tools/call', { name: 'runs.list', arguments: {} }));
    lines.push(request(13, 'tools/call', { name: 'runs.start', arguments: { role: 'slow' } }));
    lines.push('{not json');
    const { answers, stderr, code } = await script(`${lines.join('\n')}\n`);

    const ids = answers.map((a) => a.id);
    for (let id = 1; id <= 13; id++) assert.ok(ids.includes(id), `request ${id} was answered: ${stderr}`);
    assert.ok(
      answers.some((a) => a.id === null && a.error?.code === -32700),
      'the bad line got -32700',
    );
    const started = answers.find((a) => a.id === 13)!;
    assert.equal(started.result?.isError, undefined, JSON.stringify(started));
    assert.match(String(started.result?.structuredContent?.runId), /\S/, 'runs.start answered its runId');
    assert.equal(started.result?.structuredContent?.status, 'succeeded');
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /MaxListenersExceeded|at .*\.js:\d+/, 'no warning, no stack trace');
  });

  it('does not wait for a request the client cancelled (the SDK answers none)', async () => {
    const cancel = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 2, reason: 'changed my mind' },
    });
    const started = request(2, 'tools/call', { name: 'runs.start', arguments: { role: 'slow' } });
    const { answers, stderr, code } = await script(
      `${[initialize, initialized, started, cancel].join('\n')}\n`,
    );
    assert.deepEqual(
      answers.map((a) => a.id),
      [1],
      stderr,
    );
    assert.equal(code, 0, stderr);
  });

  it('reads a last request without its newline (printf with no trailing \\n)', async () => {
    const { answers, stderr, code } = await script(
      `${initialize}\n${initialized}\n${request(2, 'tools/call', { name: 'roles.list', arguments: {} })}`,
    );
    assert.deepEqual(
      answers.map((a) => a.id),
      [1, 2],
      stderr,
    );
    assert.equal(code, 0, stderr);
  });
});

describe('the stdio transport: writes waiting for a slow reader', () => {
  it('share one drain listener, and the session ends when stdin ends only once they are out', async () => {
    // A reader that takes nothing until told to: every write past the first waits for a drain.
    const out: string[] = [];
    const held: (() => void)[] = [];
    let reading = false;
    const output = new Writable({
      highWaterMark: 16,
      write(chunk: Buffer, _enc, done) {
        const take = () => {
          out.push(chunk.toString('utf8'));
          done();
        };
        if (reading) take();
        else held.push(take);
      },
    });
    const input = new PassThrough();
    const transport = new StdioJsonRpcTransport(input, output);
    let closed = false;
    transport.onclose = () => {
      closed = true;
    };
    await transport.start();
    const sent = [];
    for (let id = 1; id <= 20; id++) sent.push(transport.send({ jsonrpc: '2.0', id, result: {} }));
    assert.equal(output.listenerCount('drain'), 1, 'one drain listener for the 20 waiting writes');
    input.end();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(closed, false, 'not closed while answers are still being written');
    reading = true;
    for (const take of held.splice(0)) take();
    await Promise.all(sent);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(out.length, 20);
    assert.equal(closed, true, 'closed once every answer is out');
    await transport.close();
  });
});
