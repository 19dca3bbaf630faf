// A descriptor nightshift inherited without close-on-exec from whoever started it (here a file outside
// the sandbox's view, opened by the shell that starts nightshift at descriptor 200, as a supervisor's log or
// a wrapper script's redirection would be) does not reach a sandboxed command: bubblewrap passes every
// such descriptor on as it is, and `cat /proc/self/fd/200` read the file through it. A real nightshift
// process runs the role (a model's calls, through the runtime).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

// Runs the role in its own process and prints each call's result as JSON.
const RUNNER = `
const [runtime, file, dataDir] = process.argv.slice(2);
const { createRuntime } = await import(runtime);
const rt = await createRuntime({ dataDir });
try {
  const { runId } = await rt.run(file, {});
  process.stdout.write(JSON.stringify((await rt.get(runId)).toolCalls.map((c) => c.result)));
} finally {
  await rt.close();
}
`;

describe('descriptors nightshift inherited', () => {
  it('are /dev/null in a sandboxed command, not what nightshift was given', async () => {
    const r = writeTestRole({
      autonomy: 'sandbox',
      tools: ['shell.exec'],
      ledgerTools: false,
      turns: [
        {
          calls: [
            { tool: 'shell.exec', args: { command: 'cat', args: ['/proc/self/fd/200'] } },
            { tool: 'shell.exec', args: { command: 'ls', args: ['-l', '/proc/self/fd/'] } },
          ],
        },
        { final: { summary: 'done' } },
      ],
      extra: { scope: { commands: ['cat', 'ls'] } },
    });
    made.push(r);
    const runner = join(r.dir, 'runner.mjs');
    writeFileSync(runner, RUNNER);
    const runtime = new URL('../../src/runtime.js', import.meta.url).href;
    // Outside the workspace and outside what the sandbox shows (the test's temp folder, not the workspace).
    const outside = join(r.dir, 'outside.txt');
    writeFileSync(outside, 'outside-secret\n');
    // A high number: Node marks the low descriptors it inherits close-on-exec when it starts (9 was, in
    // this test's first form), not those above (bash keeps its own at 255).
    const child = spawn(
      '/bin/bash',
      ['-c', 'exec 200<"$0"; exec "$@"', outside, process.execPath, runner, runtime, r.file, r.dataDir],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d;
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d;
    });
    const code = await new Promise<number | null>((done) => child.on('close', done));
    assert.equal(code, 0, err);
    const [read, listing] = JSON.parse(out) as { exitCode: number; stdout: string }[];
    assert.equal(read!.stdout, '', `the command read the file outside: ${JSON.stringify(read)}`);
    assert.equal(listing!.exitCode, 0, JSON.stringify(listing));
    // `N -> target` for every descriptor the command holds; 0-2 are its stdio, 3 is ls's own listing.
    const held = [...listing!.stdout.matchAll(/ (\d+) -> (.*)$/gm)].map(
      (m) => [Number(m[1]), m[2]!] as const,
    );
    assert.ok(held.length >= 3, listing!.stdout);
    for (const [fd, target] of held)
      if (fd > 3) assert.equal(target, '/dev/null', `descriptor ${fd}: ${listing!.stdout}`);
    assert.ok(
      held.some(([fd]) => fd === 200),
      `descriptor 200 is /dev/null: ${listing!.stdout}`,
    );
  });
});
