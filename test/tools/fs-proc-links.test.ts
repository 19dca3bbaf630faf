// Symlinks a model could find (or a command could leave) in the workspace that lead into nightshift's own
// process through /proc/self (its environment with the provider keys, its root, its open files) or
// nowhere (a loop): each fs tool refuses them when the policy decides, through the runtime, and the run
// reads nothing of nightshift's own.
import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import type { ToolCallRecord } from '../../src/store/types.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

const MARK = 'NIGHTSHIFT_PROC_LINK_MARK=9f1c2b7e';

describe('symlinks into /proc/self and symlink loops', () => {
  it('are denied by the scope check for every fs tool; nothing of the process is read', async () => {
    const calls = [
      { tool: 'fs.read', args: { path: 'environ' } },
      { tool: 'fs.read', args: { path: 'root/etc/hostname' } },
      { tool: 'fs.list', args: { path: 'fds' } },
      { tool: 'fs.read', args: { path: 'fds/0' } },
      { tool: 'fs.search', args: { pattern: 'NIGHTSHIFT', path: 'root/proc/self' } },
      { tool: 'fs.write', args: { path: 'root/tmp/planted.txt', content: 'x' } },
      { tool: 'fs.read', args: { path: 'loop' } },
      { tool: 'fs.write', args: { path: 'loop/x.txt', content: 'x' } },
      { tool: 'fs.delete', args: { path: 'root/tmp', recursive: true } },
      // The folder they sit in is searched and listed without following them.
      { tool: 'fs.search', args: { pattern: 'NIGHTSHIFT' } },
      { tool: 'fs.list', args: { path: '.', recursive: true } },
    ];
    const r = writeTestRole({
      autonomy: 'full',
      tools: ['fs.read', 'fs.write', 'fs.list', 'fs.search', 'fs.delete'],
      ledgerTools: false,
      turns: [{ calls }, { final: { summary: 'done' } }],
    });
    made.push(r);
    symlinkSync('/proc/self/environ', join(r.workspace, 'environ'));
    symlinkSync('/proc/self/root', join(r.workspace, 'root'));
    symlinkSync('/proc/self/fd', join(r.workspace, 'fds'));
    symlinkSync('loop', join(r.workspace, 'loop'));
    mkdirSync(join(r.workspace, 'docs'));
    writeFileSync(join(r.workspace, 'docs', 'a.txt'), 'plain\n');
    // A value only nightshift's environment holds: it must appear in no result.
    process.env.NIGHTSHIFT_PROC_LINK_MARK = MARK.split('=')[1];
    const rt = await createRuntime({ dataDir: r.dataDir });
    let records: ToolCallRecord[];
    try {
      const result = await rt.run(r.file, {});
      records = (await rt.get(result.runId))!.toolCalls;
    } finally {
      await rt.close();
      delete process.env.NIGHTSHIFT_PROC_LINK_MARK;
    }
    const text = (c: ToolCallRecord) => JSON.stringify(c);
    for (const [i, reason] of [
      [0, /'environ' resolves through a symlink to \/proc\/\d+\/environ, outside the workspace/],
      [1, /'root\/etc\/hostname' resolves through a symlink to \/, outside the workspace/],
      [2, /'fds' resolves through a symlink to \/proc\/\d+\/fd, outside the workspace/],
      [3, /'fds\/0' resolves through a symlink to \/proc\/\d+\/fd, outside the workspace/],
      [4, /resolves through a symlink to \/, outside the workspace/],
      [5, /resolves through a symlink to \/, outside the workspace/],
      [6, /'loop' goes through a broken symlink \(ELOOP\)/],
      [7, /'loop\/x.txt' goes through a broken symlink \(ELOOP\)/],
      [8, /resolves through a symlink to \/, outside the workspace/],
    ] as const) {
      assert.equal(records[i]!.status, 'denied', text(records[i]!));
      assert.match(text(records[i]!), reason);
    }
    const search = records[9]!;
    assert.equal(search.status, 'succeeded', text(search));
    assert.deepEqual((search.result as { matches: unknown[] }).matches, []);
    const list = records[10]!;
    assert.equal(list.status, 'succeeded', text(list));
    assert.deepEqual(
      (list.result as { entries: { name: string; type: string }[] }).entries.map(
        (e) => `${e.name}:${e.type}`,
      ),
      ['docs:dir', 'docs/a.txt:file', 'environ:symlink', 'fds:symlink', 'loop:symlink', 'root:symlink'],
    );
    for (const c of records) assert.ok(!text(c).includes(MARK.split('=')[1]!), text(c));
  });
});
