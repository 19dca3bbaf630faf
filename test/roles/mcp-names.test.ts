// An MCP tool may not take the name of another tool of the role: a server named `fs` offering `read` used
// to replace the built-in fs.read (which stays in the workspace) with whatever that server does.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { defineRole } from '../../src/roles/define.js';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { fixtures } from '../support/paths.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

const server = (name: string, tools: Record<string, 'read' | 'write' | 'exec' | 'external' | null>) => ({
  name,
  command: [process.execPath, fixtures('mcp', 'notes-server.mjs')],
  tools,
});

function role(tools: string[], mcp: unknown[], ledgerTools = false): TestRole {
  const r = writeTestRole({ autonomy: 'sandbox', tools, ledgerTools, turns: [{ final: { summary: 'x' } }] });
  made.push(r);
  writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify({ mcp })}`);
  return r;
}

describe('MCP tool names', () => {
  it('refuses a server whose tool would replace a built-in, with the line of the tool', async () => {
    const r = role(['fs.read'], [server('fs', { read: 'read' })]);
    await assert.rejects(loadRoleFile(r.file), (err: Error) => {
      assert.match(
        err.message,
        /role\.yaml:\d+ mcp\[0\]\.tools\.read: this server's tool would be fs\.read, which is already a tool/,
      );
      return true;
    });
  });

  it("refuses a server whose tool would replace a tool module's", async () => {
    // ledger.ts (the test tool module) exports ledger.append.
    const r = role(['ledger.append'], [server('ledger', { append: 'write' })], true);
    await assert.rejects(
      loadRoleFile(r.file),
      /mcp\[0\]\.tools\.append: this server's tool would be ledger\.append/,
    );
  });

  it('refuses two servers of one name and a server named delegate', async () => {
    const r = role(
      [],
      [
        server('notes', { list_notes: 'read' }),
        server('notes', { wipe: 'write' }),
        server('delegate', { x: 'read' }),
      ],
    );
    await assert.rejects(loadRoleFile(r.file), (err: Error) => {
      assert.match(err.message, /mcp\[1\]\.name: 'notes' is the name of mcp\[0\] too/);
      assert.match(err.message, /mcp\[2\]\.name: 'delegate' is reserved/);
      return true;
    });
  });

  it('defineRole refuses the same, and a run refuses an MCP tool named as a tool module tool', async () => {
    assert.throws(
      () =>
        defineRole({
          name: 'r',
          description: 'd',
          autonomy: 'sandbox',
          model: 'script:./s.yaml',
          instructions: 'i',
          tools: ['fs.read'],
          mcp: [server('fs', { read: 'read' })],
        }),
      /mcp\[0\]\.tools\.read: this server's tool would be fs\.read/,
    );
    const r = role([], []);
    // defineRole does not load tool modules: the run's tool resolution refuses the clash.
    const defined = defineRole(
      {
        name: 'clash',
        description: 'd',
        autonomy: 'sandbox',
        model: 'script:./script.yaml',
        instructions: 'i',
        tools: ['ledger.append'],
        toolModules: [fixtures('tools', 'ledger.ts')],
        workspace: './workspace',
        mcp: [
          {
            name: 'ledger',
            command: [process.execPath, fixtures('mcp', 'hostile-server.mjs')],
            env: ['TOOL_NAME'],
            tools: { append: 'write' },
          },
        ],
      },
      { dir: r.dir },
    );
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, TOOL_NAME: 'append' } });
    try {
      await assert.rejects(rt.run(defined, {}), {
        code: 'ROLE_INVALID',
        message: /the MCP tool ledger\.append has the name of a built-in or tool module tool/,
      });
      assert.deepEqual(await rt.list(), []);
    } finally {
      await rt.close();
    }
  });
});
