// Protected paths (the project config, secrets files, other roles' workspaces, the store) that lie inside
// a role's workspace: the sandbox covers them for commands, and the fs tools refuse them. Without this a
// role whose workspace is the project folder read nightshift.config.yaml and rewrote who decides.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createRuntime } from '../../src/runtime.js';
import { runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-protected-');
after(() => tmp.cleanup());

const CONFIG = 'people:\n  - name: alice\n    email: alice@example.com\n    decides: [keeper]\n';

/** roles/keeper.yaml (outside the workspace), with its workspace `proj/` and the given scripted calls. */
function project(name: string, calls: { tool: string; args: unknown }[], autonomy = 'full') {
  const dir = join(tmp.path, name);
  const proj = join(dir, 'proj');
  mkdirSync(join(dir, 'roles'), { recursive: true });
  mkdirSync(proj);
  writeFileSync(join(proj, 'nightshift.config.yaml'), CONFIG);
  writeFileSync(join(proj, 'notes.txt'), 'alice decides\n');
  writeFileSync(
    join(dir, 'roles', 'script.yaml'),
    stringify({ turns: [{ calls }, { final: { summary: 'done' } }] }),
  );
  const file = join(dir, 'roles', 'keeper.yaml');
  writeFileSync(
    file,
    stringify({
      name: 'keeper',
      description: 'works in the project folder',
      autonomy,
      model: 'script:./script.yaml',
      instructions: 'Do what the script says.',
      tools: ['fs.read', 'fs.write', 'fs.edit', 'fs.delete', 'fs.list', 'fs.search'],
      workspace: '../proj',
    }),
  );
  return { dir, proj, file };
}

describe('protected paths inside a workspace', () => {
  it("the CLI's project config: read, written, edited, deleted, searched — all refused", async () => {
    const p = project('config', [
      { tool: 'fs.read', args: { path: 'nightshift.config.yaml' } },
      { tool: 'fs.write', args: { path: 'nightshift.config.yaml', content: 'people: []\n' } },
      { tool: 'fs.edit', args: { path: './nightshift.config.yaml', old: 'alice', new: 'mallory' } },
      { tool: 'fs.delete', args: { path: 'nightshift.config.yaml' } },
      { tool: 'fs.search', args: { pattern: 'alice' } },
    ]);
    const data = join(p.dir, 'data');
    const r = await runCli(['run', p.file, '--data-dir', data, '--json'], { cwd: p.proj });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(p.proj, 'nightshift.config.yaml'), 'utf8'), CONFIG);

    const runId = (JSON.parse(r.stdout) as { runId: string }).runId;
    const shown = await runCli(['show', runId, '--data-dir', data, '--json'], { cwd: p.proj });
    const calls = (JSON.parse(shown.stdout) as { toolCalls: { tool: string; result: unknown }[] }).toolCalls;
    // Denied when the policy decides (the scope check), before anything runs.
    for (const c of calls.slice(0, 4)) {
      assert.deepEqual(c.result, {
        denied: true,
        reason: c.result && (c.result as { reason: string }).reason,
      });
      assert.match(
        (c.result as { reason: string }).reason,
        /^outside the role's scope: '\.?\/?nightshift\.config\.yaml' is a protected path/,
        `${c.tool}: ${JSON.stringify(c.result)}`,
      );
    }
    // The search finds the other file and skips the config, unread.
    const search = calls[4]!.result as { matches: { path: string }[]; skipped: number };
    assert.deepEqual(
      search.matches.map((m) => m.path),
      ['notes.txt'],
    );
    assert.equal(search.skipped, 1);
  });

  it('a call on a protected path is denied when the policy decides, at every rung: never drafted for a person, never run', async () => {
    for (const autonomy of ['observe', 'draft', 'sandbox', 'full']) {
      const p = project(
        `rung-${autonomy}`,
        [
          { tool: 'fs.read', args: { path: 'nightshift.config.yaml' } },
          { tool: 'fs.write', args: { path: 'nightshift.config.yaml', content: 'people: []\n' } },
          { tool: 'fs.delete', args: { path: 'nightshift.config.yaml' } },
        ],
        autonomy,
      );
      const data = join(p.dir, 'data');
      const r = await runCli(['run', p.file, '--data-dir', data, '--json'], { cwd: p.proj });
      // Not paused for an approval that could only fail: the run goes on and finishes.
      assert.equal(r.code, 0, `${autonomy}: ${r.stderr}`);
      const run = JSON.parse(r.stdout) as { runId: string; pending: string[] };
      assert.deepEqual(run.pending, [], autonomy);
      const inbox = await runCli(['inbox', '--json', '--data-dir', data], { cwd: p.proj });
      assert.deepEqual((JSON.parse(inbox.stdout) as { approvals: unknown[] }).approvals, [], autonomy);
      const shown = await runCli(['show', run.runId, '--data-dir', data, '--json'], { cwd: p.proj });
      const calls = (
        JSON.parse(shown.stdout) as {
          toolCalls: { tool: string; decision: string; result: { reason?: string } }[];
        }
      ).toolCalls;
      assert.deepEqual(
        calls.map((c) => [c.tool, c.decision]),
        [
          ['fs.read', 'deny'],
          ['fs.write', 'deny'],
          ['fs.delete', 'deny'],
        ],
        autonomy,
      );
      // observe refuses every write first, for what it is; every other refusal names the protected path.
      const protectedOnes = autonomy === 'observe' ? calls.slice(0, 1) : calls;
      for (const c of protectedOnes)
        assert.match(
          c.result.reason ?? '',
          /outside the role's scope: 'nightshift\.config\.yaml' is a protected path/,
          `${autonomy} ${c.tool}`,
        );
      assert.equal(readFileSync(join(p.proj, 'nightshift.config.yaml'), 'utf8'), CONFIG);
    }
  });

  it("a folder holding another role's workspace is not deleted whole; the workspace around it still works", async () => {
    const p = project('nested', [
      { tool: 'fs.delete', args: { path: 'teams', recursive: true } },
      { tool: 'fs.write', args: { path: 'teams/other/planted.txt', content: 'x' } },
      { tool: 'fs.write', args: { path: 'teams/mine.txt', content: 'mine' } },
    ]);
    const other = join(p.proj, 'teams', 'other');
    mkdirSync(other, { recursive: true });
    writeFileSync(join(other, 'keep.txt'), 'keep');
    // The outer folder is protected too (a role whose workspace holds this one): it must not count.
    const rt = await createRuntime({ dataDir: join(p.dir, 'data'), protectedPaths: [other, p.dir] });
    try {
      const result = await rt.run(p.file, {});
      const calls = (await rt.get(result.runId))!.toolCalls;
      assert.match(JSON.stringify(calls[0]!.result), /'teams' holds a protected path/);
      assert.match(JSON.stringify(calls[1]!.result), /is a protected path/);
      assert.equal(calls[2]!.isError, false, JSON.stringify(calls[2]!.result));
    } finally {
      await rt.close();
    }
    assert.ok(existsSync(join(other, 'keep.txt')));
    assert.equal(existsSync(join(other, 'planted.txt')), false);
    assert.equal(readFileSync(join(p.proj, 'teams', 'mine.txt'), 'utf8'), 'mine');
  });
});
