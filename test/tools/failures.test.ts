// A failed call reaches the model as `{ error, code }`, and the code says what to do next: change the call
// (TOOL_CALL_INVALID), try later (TOOL_FAILED), or wait less (TOOL_TIMEOUT). Errors without a code get one.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { errorResult, runToolCall } from '../../src/engine/tool-call.js';
import { NightshiftError } from '../../src/errors.js';
import type { ToolCallRecord } from '../../src/store/types.js';
import { fsDelete, fsEdit, fsList, fsRead, fsSearch, fsWrite } from '../../src/tools/builtin/index.js';
import { defineTool } from '../../src/tools/define.js';
import type { AnyTool } from '../../src/tools/types.js';
import { testRole, toolContext } from '../support/role.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-tool-failures-');
after(() => tmp.cleanup());
const ws = join(tmp.path, 'ws');
mkdirSync(join(ws, 'docs'), { recursive: true });
writeFileSync(join(ws, 'a.txt'), 'hello');
const role = testRole({ workspace: ws, tools: ['fs.read', 'fs.write', 'fs.edit'] });

/** What the model would be told about a call of `tool` with `args`. */
async function outcome(tool: AnyTool, args: unknown): Promise<Record<string, unknown>> {
  try {
    return { result: await tool.run(tool.input.parse(args), toolContext(role)) };
  } catch (err) {
    return errorResult(err);
  }
}

describe('tool failures carry a code', () => {
  it('TOOL_CALL_INVALID for a call that would fail the same way again', async () => {
    assert.equal((await outcome(fsRead, { path: 'missing.txt' })).code, 'TOOL_CALL_INVALID');
    assert.equal(
      (await outcome(fsWrite, { path: 'a.txt', content: 'x', mode: 'create' })).code,
      'TOOL_CALL_INVALID',
    );
    assert.equal(
      (await outcome(fsEdit, { path: 'a.txt', old: 'absent', new: 'x' })).code,
      'TOOL_CALL_INVALID',
    );
    assert.equal((await outcome(fsRead, { path: 'docs' })).code, 'TOOL_CALL_INVALID');
  });

  // docs/tools.md's error table, row TOOL_CALL_INVALID, case by case, for every fs tool that meets it. The
  // code tells the model to change the call rather than try it again later.
  it('TOOL_CALL_INVALID for each case the error table names, with a message naming the path', async () => {
    writeFileSync(join(ws, 'big.txt'), Buffer.alloc(1024 * 1024 + 1, 'x'));
    execFileSync('mkfifo', [join(ws, 'ff')]);
    const cases: [AnyTool, Record<string, unknown>, RegExp][] = [
      // no such file or folder
      [fsRead, { path: 'missing.txt' }, /no file 'missing.txt' in the workspace/],
      [fsEdit, { path: 'missing.txt', old: 'a', new: 'b' }, /no file 'missing.txt' in the workspace/],
      [fsEdit, { path: 'a.txt/x', old: 'a', new: 'b' }, /'a.txt\/x' goes through a file, not a folder/],
      [fsList, { path: 'nowhere' }, /no folder 'nowhere' in the workspace/],
      [fsSearch, { pattern: 'x', path: 'nowhere' }, /no folder 'nowhere' in the workspace/],
      [fsSearch, { pattern: 'x', path: 'a.txt' }, /'a.txt' is not a folder/],
      // a folder, a device or a fifo where a file was named
      [fsRead, { path: 'docs' }, /'docs' is a folder, not a regular file/],
      [fsWrite, { path: 'docs', content: 'x' }, /'docs' is a folder, not a regular file/],
      [fsEdit, { path: 'docs', old: 'a', new: 'b' }, /'docs' is a folder, not a regular file/],
      [fsDelete, { path: 'docs' }, /'docs' is a folder; set recursive: true/],
      [fsRead, { path: 'ff' }, /'ff' is a fifo, not a regular file/],
      // mode: create on an existing file with other content
      [
        fsWrite,
        { path: 'a.txt', content: 'other', mode: 'create' },
        /'a.txt' already exists \(mode: create\)/,
      ],
      // text to replace not found or found more than once
      [fsEdit, { path: 'a.txt', old: 'absent', new: 'x' }, /not found in 'a.txt'/],
      [fsEdit, { path: 'a.txt', old: 'l', new: 'L' }, /occurs 2 times in 'a.txt'/],
      // over the read limit
      [fsRead, { path: 'big.txt' }, /over the 1048576-byte read limit/],
      [fsEdit, { path: 'big.txt', old: 'x', new: 'y' }, /over the 1048576-byte limit/],
      // an invalid regular expression
      [fsSearch, { pattern: '(', regex: true }, /invalid regular expression/],
    ];
    for (const [tool, args, message] of cases) {
      const out = await outcome(tool, args);
      assert.equal(out.code, 'TOOL_CALL_INVALID', `${tool.name} ${JSON.stringify(args)}: ${out.error}`);
      assert.match(String(out.error), message, `${tool.name} ${JSON.stringify(args)}`);
    }
  });

  it('keeps SCOPE_VIOLATION for a path outside the workspace', async () => {
    assert.equal((await outcome(fsRead, { path: '../outside.txt' })).code, 'SCOPE_VIOLATION');
  });

  it('TOOL_FAILED for an error without a code, TOOL_ARGS_INVALID for arguments the schema refuses', () => {
    assert.deepEqual(errorResult(new Error('upstream said no')), {
      error: 'upstream said no',
      code: 'TOOL_FAILED',
    });
    assert.deepEqual(errorResult('a string'), { error: 'a string', code: 'TOOL_FAILED' });
    const parsed = z.object({ n: z.number() }).safeParse({ n: 'x' });
    assert.equal(errorResult(parsed.error).code, 'TOOL_ARGS_INVALID');
  });

  it('keeps the code of a NightshiftError thrown by another copy of the class', async () => {
    const copy = (await import(
      `../../src/errors.js?copy=${Date.now()}`
    )) as typeof import('../../src/errors.js');
    const foreign = new copy.NightshiftError('TOOL_TIMEOUT', 'too slow');
    assert.equal(foreign instanceof NightshiftError, false);
    assert.deepEqual(errorResult(foreign), { error: 'too slow', code: 'TOOL_TIMEOUT' });
  });

  it('TOOL_RESULT_INVALID for a result that is not JSON', async () => {
    const cyclic = defineTool({
      name: 'test.cyclic',
      description: 'returns an object that refers to itself',
      input: z.object({}),
      effect: 'read',
      run: () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
    });
    const call = { key: 'run_test:1:0', tool: 'test.cyclic', args: {} } as ToolCallRecord;
    const out = await runToolCall(cyclic, {}, call, toolContext(role), {
      lease: new AbortController().signal,
      timeLeftMs: 10_000,
      timeLimitSeconds: 10,
    });
    assert.equal(out.isError, true);
    assert.equal((out.result as { code: string }).code, 'TOOL_RESULT_INVALID');
  });
});
