// MCP tools from a real MCP server process (stdio) and over streamable HTTP, through the same policy as
// built-ins: only listed tools exist for the role, each with the effect the role gives it.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { stringify } from 'yaml';
import { z } from 'zod';
import { createRuntime } from '../../src/runtime.js';
import { fixtures } from '../support/paths.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

function mcpRole(
  autonomy: 'observe' | 'draft' | 'sandbox' | 'full',
  turns: unknown[],
  mcp: unknown[],
): TestRole {
  const r = writeTestRole({ autonomy, tools: [], ledgerTools: false, turns });
  made.push(r);
  const text = readFileSync(r.file, 'utf8');
  writeFileSync(r.file, `${text}${stringify({ mcp })}`);
  return r;
}

const notesServer = (_r: TestRole | undefined, tools: Record<string, string | null>) => ({
  name: 'notes',
  command: [process.execPath, fixtures('mcp', 'notes-server.mjs')],
  env: ['NOTES_FILE'],
  tools,
});
const done = { final: { summary: 'done' } };

describe('MCP tools over stdio', () => {
  it('runs a listed read tool, drafts a listed write tool at draft, and denies an unlisted one', async () => {
    const r = mcpRole(
      'draft',
      [
        { call: 'notes.list_notes', args: {} },
        {
          calls: [
            { tool: 'notes.add_note', args: { text: 'hello' } },
            { tool: 'notes.wipe', args: {} },
          ],
        },
        done,
      ],
      [],
    );
    const notes = join(r.workspace, 'notes.txt');
    writeFileSync(notes, 'first\n');
    writeFileSync(
      r.file,
      readFileSync(r.file, 'utf8').replace(
        'mcp: []',
        stringify({ mcp: [notesServer(r, { list_notes: 'read', add_note: 'write' })] }),
      ),
    );
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, NOTES_FILE: notes } });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      const snap = (await rt.get(paused.runId))!;
      const byTool = Object.fromEntries(snap.toolCalls.map((c) => [c.tool, c]));
      assert.equal(byTool['notes.list_notes']!.status, 'succeeded');
      assert.match(JSON.stringify(byTool['notes.list_notes']!.result), /first/);
      assert.equal(byTool['notes.add_note']!.status, 'drafted');
      assert.equal(byTool['notes.wipe']!.status, 'denied');
      assert.equal(readFileSync(notes, 'utf8'), 'first\n');
      const result = await rt.approve(paused.pending[0]!, { by: 'alice' });
      assert.equal(result.status, 'succeeded');
      assert.equal(readFileSync(notes, 'utf8'), 'first\nhello\n');
    } finally {
      await rt.close();
    }
  });

  it('treats a tool the role gives no effect as external (denied at observe), and checks arguments against the server schema', async () => {
    const r = mcpRole('observe', [{ call: 'notes.add_note', args: { text: 'x' } }, done], []);
    const notes = join(r.workspace, 'notes.txt');
    writeFileSync(
      r.file,
      readFileSync(r.file, 'utf8').replace(
        'mcp: []',
        stringify({ mcp: [notesServer(r, { add_note: null })] }),
      ),
    );
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, NOTES_FILE: notes } });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.match(call.reason, /effect 'external'/);
      assert.equal(existsSync(notes), false);
    } finally {
      await rt.close();
    }
    const r2 = mcpRole(
      'full',
      [{ call: 'notes.add_note', args: { text: '' } }, { call: 'notes.fail', args: {} }, done],
      [],
    );
    writeFileSync(
      r2.file,
      readFileSync(r2.file, 'utf8').replace(
        'mcp: []',
        stringify({ mcp: [notesServer(r2, { add_note: 'write', fail: 'read' })] }),
      ),
    );
    const rt2 = await createRuntime({
      dataDir: r2.dataDir,
      env: { ...process.env, NOTES_FILE: join(r2.workspace, 'n.txt') },
    });
    try {
      const result = await rt2.run(r2.file, {});
      const calls = (await rt2.get(result.runId))!.toolCalls;
      assert.equal(calls[0]!.status, 'denied');
      assert.match(calls[0]!.reason, /invalid arguments for notes\.add_note/);
      assert.equal(calls[1]!.status, 'failed');
      assert.match(JSON.stringify(calls[1]!.result), /the notes service is down/);
    } finally {
      await rt2.close();
    }
  });

  it('fails at start, before any run, when a listed tool does not exist on the server', async () => {
    const r = mcpRole('full', [done], []);
    writeFileSync(
      r.file,
      readFileSync(r.file, 'utf8').replace(
        'mcp: []',
        stringify({ mcp: [notesServer(r, { delete_everything: 'write' })] }),
      ),
    );
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ...process.env, NOTES_FILE: join(r.workspace, 'n.txt') },
    });
    try {
      await assert.rejects(rt.run(r.file, {}), {
        code: 'TOOL_NOT_FOUND',
        message: /has no tool 'delete_everything' \(it offers: list_notes, add_note, wipe, fail\)/,
      });
      assert.deepEqual(await rt.list(), []);
    } finally {
      await rt.close();
    }
  });
});

describe('MCP tools at sandbox', () => {
  it('denies a non-read MCP tool (it declares no scope) and runs a read one', async () => {
    const r = mcpRole(
      'sandbox',
      [
        {
          calls: [
            { tool: 'notes.list_notes', args: {} },
            { tool: 'notes.add_note', args: { text: 'x' } },
          ],
        },
        done,
      ],
      [notesServer(undefined, { list_notes: 'read', add_note: 'write' })],
    );
    const notes = join(r.workspace, 'notes.txt');
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, NOTES_FILE: notes } });
    try {
      const result = await rt.run(r.file, {});
      const calls = (await rt.get(result.runId))!.toolCalls;
      assert.equal(calls[0]!.status, 'succeeded');
      assert.equal(calls[1]!.decision, 'deny');
      assert.match(calls[1]!.reason, /declares none/);
      assert.equal(existsSync(notes), false);
    } finally {
      await rt.close();
    }
  });
});

describe('MCP tools over streamable HTTP', () => {
  it('calls a listed tool on a streamable HTTP server', async () => {
    let calls = 0;
    const http = createServer(async (req, res) => {
      const server = new McpServer({ name: 'calc', version: '1.0.0' });
      server.registerTool(
        'add',
        { description: 'add', inputSchema: { a: z.number(), b: z.number() } },
        async ({ a, b }) => {
          calls++;
          return { content: [{ type: 'text', text: String(a + b) }] };
        },
      );
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
      res.on('close', () => {
        transport.close();
        server.close();
      });
      await server.connect(transport);
      await transport.handleRequest(req, res);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(http.address() as { port: number }).port}/mcp`;
    const r = mcpRole('sandbox', [{ call: 'calc.add', args: { a: 2, b: 40 } }, done], []);
    writeFileSync(
      r.file,
      readFileSync(r.file, 'utf8').replace(
        'mcp: []',
        stringify({ mcp: [{ name: 'calc', url, tools: { add: 'read' } }] }),
      ),
    );
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.deepEqual(call.result, { content: '42' });
      assert.equal(calls, 1);
    } finally {
      await rt.close();
      http.closeAllConnections();
      http.close();
    }
  });
});
