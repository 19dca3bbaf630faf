// A run cancelled by another process while this one drives it: the driver's next commit is refused and it
// stops; `run` must answer what the store says (`cancelled`), not the `running` it last had (the CLI
// printed `status: running` and exited 3 where the docs promise `cancelled` and exit 1).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { createRuntime, defineRole, defineTool } from '../../src/index.js';

test('run() resolves with cancelled when another runtime cancels the run during a tool call', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-cancelled-while-running-'));
  try {
    writeFileSync(join(dir, 's.yaml'), 'turns:\n  - call: slow.wait\n    args: {}\n  - final: done\n');
    let started!: () => void;
    const inCall = new Promise<void>((resolve) => {
      started = resolve;
    });
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = defineTool({
      name: 'slow.wait',
      description: 'waits',
      input: z.object({}),
      effect: 'external',
      run: async () => {
        started();
        await gate;
        return { done: true };
      },
    });
    const role = defineRole(
      {
        name: 'r',
        description: 'd',
        autonomy: 'full',
        model: 'script:s.yaml',
        instructions: 'i',
        tools: [slow],
      },
      { dir },
    );
    const dataDir = join(dir, 'data');
    const driving = await createRuntime({ dataDir });
    const other = await createRuntime({ dataDir });
    try {
      const result = driving.run(role, {});
      await inCall;
      const [listed] = await other.list({ role: 'r' });
      const cancelled = await other.cancel(listed!.id, { by: 'zed', reason: 'dup' });
      assert.equal(cancelled.status, 'cancelled');
      release();
      const summary = await result;
      assert.equal(summary.status, 'cancelled');
      assert.equal((await driving.get(summary.runId))?.run.status, 'cancelled');
    } finally {
      await other.close();
      await driving.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
