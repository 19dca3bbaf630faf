// A tool declared `read` has no side effect to repeat, so it is idempotent unless it says otherwise: a
// crash during its call re-runs it under its key instead of asking a person whether a read "happened",
// and its claim is not synced to disk as a non-idempotent one's is (decision 001).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { defineTool } from '../../src/tools/define.js';
import { connectMcpServers } from '../../src/tools/mcp/connect.js';
import { isIdempotent } from '../../src/tools/types.js';
import { fixtures } from '../support/paths.js';
import { testRole } from '../support/role.js';

describe('read tools are idempotent by default', () => {
  it('a defined tool: read yes, every other effect no, an explicit word wins', () => {
    const tool = (effect: 'read' | 'write' | 'exec' | 'external', idempotent?: boolean) =>
      defineTool({
        name: `t.${effect}`,
        description: 'a test tool',
        input: z.object({}),
        effect,
        ...(idempotent === undefined ? {} : { idempotent }),
        run: () => ({}),
      });
    assert.equal(isIdempotent(tool('read'), {}), true);
    for (const effect of ['write', 'exec', 'external'] as const)
      assert.equal(isIdempotent(tool(effect), {}), false, effect);
    assert.equal(isIdempotent(tool('read', false), {}), false);
    assert.equal(isIdempotent(tool('write', true), {}), true);
  });

  const dir = mkdtempSync(join(tmpdir(), 'ns-read-idem-'));
  let close: (() => Promise<void>) | undefined;
  after(async () => {
    await close?.();
    rmSync(dir, { recursive: true, force: true });
  });

  it('an MCP tool the role file calls read is idempotent; write and unstated ones are not', async () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, '');
    const role = testRole({
      tools: ['notes.list_notes', 'notes.add_note', 'notes.wipe'],
      mcp: [
        {
          name: 'notes',
          command: [process.execPath, fixtures('mcp', 'notes-server.mjs')],
          env: ['NOTES_FILE'],
          tools: { list_notes: 'read', add_note: 'write', wipe: null },
        },
      ],
    });
    const mcp = await connectMcpServers(role, { ...process.env, NOTES_FILE: notes });
    close = mcp.close;
    const by = Object.fromEntries(mcp.tools.map((t) => [t.name, t]));
    assert.equal(isIdempotent(by['notes.list_notes']!, {}), true);
    assert.equal(isIdempotent(by['notes.add_note']!, { text: 'x' }), false);
    assert.equal(isIdempotent(by['notes.wipe']!, {}), false);
  });
});
