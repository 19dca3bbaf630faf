// The sandbox's own root and /dev are tmpfs that bubblewrap makes without a size (half the host's RAM
// each): a command that could write there could fill the host's memory past `execMemoryBytes`, which
// bounds the private /tmp, /var/tmp and /dev/shm together. A model's calls through the runtime, at sandbox.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

const MEMORY = 256 * 1024 * 1024;

describe("the sandbox's root and /dev", () => {
  it('are read-only; only the sized temporary folders and the workspace take writes', async () => {
    const dd = (of: string) => ({
      tool: 'shell.exec',
      args: { command: 'dd', args: ['if=/dev/zero', `of=${of}`, 'bs=1M', 'count=1'] },
    });
    const r = writeTestRole({
      autonomy: 'sandbox',
      tools: ['shell.exec'],
      ledgerTools: false,
      turns: [
        {
          calls: [
            dd('/big'),
            dd('/dev/big'),
            dd('/dev/shm/x'),
            dd('/tmp/x'),
            {
              tool: 'shell.exec',
              args: { command: 'df', args: ['--output=size', '-B1', '/tmp', '/var/tmp', '/dev/shm'] },
            },
          ],
        },
        { final: { summary: 'done' } },
      ],
      extra: { scope: { commands: ['dd', 'df'] }, limits: { execMemoryBytes: MEMORY } },
    });
    made.push(r);
    const rt = await createRuntime({ dataDir: r.dataDir });
    let results: { exitCode: number; stdout: string; stderr: string }[];
    try {
      const { runId } = await rt.run(r.file, {});
      results = (await rt.get(runId))!.toolCalls.map((c) => c.result as (typeof results)[number]);
    } finally {
      await rt.close();
    }
    for (const i of [0, 1]) {
      assert.notEqual(results[i]!.exitCode, 0, JSON.stringify(results[i]));
      assert.match(results[i]!.stderr, /Read-only file system/);
    }
    for (const i of [2, 3]) assert.equal(results[i]!.exitCode, 0, JSON.stringify(results[i]));
    const sizes = results[4]!.stdout.trim().split('\n').slice(1).map(Number);
    assert.equal(sizes.length, 3, results[4]!.stdout);
    assert.ok(sizes.reduce((a, b) => a + b, 0) <= MEMORY, results[4]!.stdout);
  });
});
