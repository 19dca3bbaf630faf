// A failed call reaches the model as `{ error, code }`, and the code says what to do next: change the call
// (TOOL_CALL_INVALID), try later (TOOL_FAILED), or wait less (TOOL_TIMEOUT). Errors without a code get one.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { z } from 'zod';
import { errorResult, runToolCall } from '../../src/engine/tool-call.js';
import { NightshiftError } from '../../src/errors.js';
import type { ToolCallRecord } from '../../src/store/types.js';
import { fsEdit, fsRead, fsWrite } from '../../src/tools/builtin/index.js';
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
