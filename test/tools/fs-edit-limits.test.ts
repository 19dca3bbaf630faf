// fs.edit leaves no file larger than fs.write may write: `all: true` multiplies the replacement by the number
// of matches, so a 1 MiB file of one letter replaced by 12 letters would become 12 MiB (and a longer
// replacement would exhaust memory). Driven through the runtime as a model's calls, checked on disk.
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ToolCallRecord } from '../../src/store/types.js';
import { fsEdit } from '../../src/tools/builtin/fs-edit.js';
import { fsWrite, WRITE_LIMIT } from '../../src/tools/builtin/fs-write.js';
import { testRoles } from '../support/roles.js';
import { runToolCalls, type WorkspaceSetup } from '../support/tool-calls.js';

const role = testRoles();
const FS_TOOLS = ['fs.read', 'fs.write', 'fs.edit'];
const runCalls = (calls: { tool: string; args: unknown }[], setup?: WorkspaceSetup) =>
  runToolCalls(role, FS_TOOLS, calls, setup);

const text = (c: ToolCallRecord) => JSON.stringify(c.result ?? null) + JSON.stringify(c);

describe('fs.edit size', () => {
  it('refuses an edit whose result would pass the write limit, and leaves the file as it was', async () => {
    const original = 'a'.repeat(1024 * 1024);
    const { r, calls } = await runCalls(
      [
        { tool: 'fs.edit', args: { path: 'big.txt', old: 'a', new: 'b'.repeat(12), all: true } },
        // An edit that stays within the limit still replaces every occurrence.
        { tool: 'fs.edit', args: { path: 'small.txt', old: 'x', new: 'y'.repeat(10), all: true } },
      ],
      ({ workspace: ws }) => {
        writeFileSync(join(ws, 'big.txt'), original);
        writeFileSync(join(ws, 'small.txt'), 'x'.repeat(10));
      },
    );
    assert.equal(calls[0]!.status, 'failed', text(calls[0]!));
    assert.match(text(calls[0]!), /TOOL_CALL_INVALID/);
    assert.match(
      text(calls[0]!),
      /replacing 1048576 occurrences would make 'big\.txt' 12582912 bytes, over the 10485760-byte write limit; nothing was changed/,
    );
    // Not truncated, not rewritten.
    assert.equal(statSync(join(r.workspace, 'big.txt')).size, original.length);
    assert.equal(readFileSync(join(r.workspace, 'big.txt'), 'utf8'), original);
    assert.equal(calls[1]!.status, 'succeeded', text(calls[1]!));
    assert.equal(r.read('small.txt'), 'y'.repeat(100));
  });

  // A model script is at most 1 MiB, so this is the schema the engine parses a call's arguments with.
  it('refuses a replacement over the write limit by its arguments (TOOL_ARGS_INVALID)', () => {
    const big = fsEdit.input.safeParse({ path: 'a.txt', old: 'a', new: 'b'.repeat(WRITE_LIMIT + 1) });
    assert.equal(big.success, false);
    assert.equal(
      fsEdit.input.safeParse({ path: 'a.txt', old: 'a', new: 'b'.repeat(WRITE_LIMIT) }).success,
      true,
    );
  });

  // The limit is in bytes, as written: a string's length counts UTF-16 code units, and '€' is one unit but
  // three bytes, so a length check alone let fs.write put 30 MiB in a file.
  it('bounds fs.write content and fs.edit replacements by their UTF-8 bytes, not their length', () => {
    const over = '€'.repeat(Math.floor(WRITE_LIMIT / 3) + 1); // 10,485,762 bytes in 3,495,254 code units
    const fits = `${'€'.repeat(Math.floor(WRITE_LIMIT / 3))}a`; // exactly WRITE_LIMIT bytes
    assert.equal(Buffer.byteLength(fits), WRITE_LIMIT);
    const write = fsWrite.input.safeParse({ path: 'a.txt', content: over });
    assert.equal(write.success, false);
    assert.match(
      JSON.stringify(write.error?.issues),
      /the text is 10485762 bytes in UTF-8, over the 10485760-byte write limit/,
    );
    assert.equal(fsWrite.input.safeParse({ path: 'a.txt', content: fits }).success, true);
    assert.equal(fsEdit.input.safeParse({ path: 'a.txt', old: 'a', new: over }).success, false);
    assert.equal(fsEdit.input.safeParse({ path: 'a.txt', old: 'a', new: fits }).success, true);
    // A character outside the BMP is two code units and four bytes; a lone surrogate is written as U+FFFD.
    assert.equal(
      fsWrite.input.safeParse({ path: 'a.txt', content: '\u{1F600}'.repeat(WRITE_LIMIT / 4 + 1) }).success,
      false,
    );
    assert.equal(
      fsWrite.input.safeParse({ path: 'a.txt', content: '\uD800'.repeat(Math.floor(WRITE_LIMIT / 3) + 1) })
        .success,
      false,
    );
  });
});
