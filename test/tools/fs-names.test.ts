// File names that display as something else (a bidirectional control such as U+202E reorders what follows
// it: `invoice\u202Efdp.exe` shows as `invoiceexe.pdf`) are neither created nor written by the fs tools,
// and are escaped where fs.list and fs.search show names; and fs.list leaves out the protected paths
// (project config, secrets files, other roles' workspaces) that fs.read refuses.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { ToolCallRecord } from '../../src/store/types.js';
import { testRoles } from '../support/roles.js';
import { runToolCalls, type WorkspaceSetup } from '../support/tool-calls.js';

const RLO = '\u202E';
const EVIL = `invoice${RLO}fdp.exe`;
const role = testRoles();
const FS_TOOLS = ['fs.read', 'fs.write', 'fs.edit', 'fs.list', 'fs.search', 'fs.delete'];
const runCalls = (calls: { tool: string; args: unknown }[], setup?: WorkspaceSetup) =>
  runToolCalls(role, FS_TOOLS, calls, setup);

const text = (c: ToolCallRecord) => JSON.stringify(c.result ?? null) + JSON.stringify(c);

describe('file names with bidirectional controls', () => {
  it('fs.write and fs.edit refuse a path holding one, and create nothing', async () => {
    const { r, calls } = await runCalls(
      [
        { tool: 'fs.write', args: { path: EVIL, content: 'MZ' } },
        { tool: 'fs.write', args: { path: 'docs\u2067/a.txt', content: 'x' } },
        { tool: 'fs.edit', args: { path: `old${RLO}gpj.sh`, old: 'a', new: 'b' } },
        { tool: 'fs.write', args: { path: 'plain.txt', content: 'ok' } },
      ],
      (r) => {
        writeFileSync(join(r.workspace, `old${RLO}gpj.sh`), 'a');
        return [];
      },
    );
    for (const [i, cp] of [
      [0, 'U\\+202E'],
      [1, 'U\\+2067'],
      [2, 'U\\+202E'],
    ] as const) {
      // Denied by the scope check, before anything runs (at draft, before anything is drafted).
      assert.equal(calls[i]!.status, 'denied', text(calls[i]!));
      assert.match(
        text(calls[i]!),
        new RegExp(
          `contains ${cp}, a bidirectional control character .*fs tools do not create or write such names`,
        ),
      );
      // The reason shows the name escaped, never the character itself.
      assert.ok(!JSON.stringify(calls[i]!.result ?? null).includes(RLO), text(calls[i]!));
    }
    assert.match(text(calls[0]!), /invoice\\\\u202Efdp\.exe/);
    assert.equal(calls[3]!.status, 'succeeded', text(calls[3]!));
    assert.deepEqual(readdirSync(r.workspace).sort(), [`old${RLO}gpj.sh`, 'plain.txt']);
    assert.equal(readFileSync(join(r.workspace, `old${RLO}gpj.sh`), 'utf8'), 'a');
  });

  it('fs.list and fs.search show such a name escaped (and say so); fs.read and fs.delete still take it', async () => {
    const { r, calls } = await runCalls(
      [
        { tool: 'fs.list', args: { recursive: true } },
        { tool: 'fs.search', args: { pattern: 'needle' } },
        { tool: 'fs.read', args: { path: EVIL } },
        { tool: 'fs.delete', args: { path: EVIL } },
      ],
      (r) => {
        writeFileSync(join(r.workspace, EVIL), 'needle\n');
        // A name holding a backslash and the text \u202E: escaped listings cannot be confused with it.
        writeFileSync(join(r.workspace, 'a\\u202Eb'), 'plain\n');
        mkdirSync(join(r.workspace, `dir${RLO}`));
        writeFileSync(join(r.workspace, `dir${RLO}`, 'x.txt'), 'needle\n');
        return [];
      },
    );
    const list = calls[0]!.result as { entries: { name: string; escaped?: true }[] };
    assert.deepEqual(
      list.entries.map((e) => [e.name, e.escaped ?? false]),
      [
        ['a\\u202Eb', false],
        ['dir\\u202E', true],
        ['dir\\u202E/x.txt', true],
        ['invoice\\u202Efdp.exe', true],
      ],
    );
    const search = calls[1]!.result as { matches: { path: string; escaped?: true }[] };
    assert.deepEqual(
      search.matches.map((m) => [m.path, m.escaped ?? false]),
      [
        ['dir\\u202E/x.txt', true],
        ['invoice\\u202Efdp.exe', true],
      ],
    );
    assert.ok(!JSON.stringify([list, search]).includes(RLO));
    assert.equal(calls[2]!.status, 'succeeded', text(calls[2]!));
    assert.equal(calls[3]!.status, 'succeeded', text(calls[3]!));
    assert.equal(existsSync(join(r.workspace, EVIL)), false);
  });
});

describe('file names with zero-width characters', () => {
  const ZWSP = '\u200B';
  const LOOKALIKE = `report${ZWSP}.pdf`;

  it('fs.write and fs.edit refuse a path holding one, naming the code point, and create nothing', async () => {
    const { r, calls } = await runCalls(
      [
        { tool: 'fs.write', args: { path: LOOKALIKE, content: 'x' } },
        { tool: 'fs.write', args: { path: 'a\u2060b.txt', content: 'x' } },
        { tool: 'fs.write', args: { path: '\uFEFFnotes.md', content: 'x' } },
        { tool: 'fs.edit', args: { path: `old\u200Dname.txt`, old: 'a', new: 'b' } },
        { tool: 'fs.write', args: { path: 'report.pdf', content: 'ok' } },
      ],
      (r) => {
        writeFileSync(join(r.workspace, 'old\u200Dname.txt'), 'a');
        return [];
      },
    );
    for (const [i, cp] of [
      [0, 'U\\+200B'],
      [1, 'U\\+2060'],
      [2, 'U\\+FEFF'],
      [3, 'U\\+200D'],
    ] as const) {
      assert.equal(calls[i]!.status, 'denied', text(calls[i]!));
      assert.match(
        text(calls[i]!),
        new RegExp(`contains ${cp}, a zero-width character .*fs tools do not create or write such names`),
      );
    }
    assert.match(text(calls[0]!), /report\\\\u200B\.pdf/);
    assert.equal(calls[4]!.status, 'succeeded', text(calls[4]!));
    assert.deepEqual(readdirSync(r.workspace).sort(), ['old\u200Dname.txt', 'report.pdf']);
    assert.equal(readFileSync(join(r.workspace, 'old\u200Dname.txt'), 'utf8'), 'a');
  });

  it('fs.list and fs.search show such a name escaped (and say so)', async () => {
    const { calls } = await runCalls(
      [
        { tool: 'fs.list', args: {} },
        { tool: 'fs.search', args: { pattern: 'needle' } },
        { tool: 'fs.read', args: { path: LOOKALIKE } },
      ],
      (r) => {
        writeFileSync(join(r.workspace, LOOKALIKE), 'needle\n');
        writeFileSync(join(r.workspace, 'report.pdf'), 'plain\n');
        return [];
      },
    );
    const list = calls[0]!.result as { entries: { name: string; escaped?: true }[] };
    assert.deepEqual(
      list.entries.map((e) => [e.name, e.escaped ?? false]),
      [
        ['report.pdf', false],
        ['report\\u200B.pdf', true],
      ],
    );
    const search = calls[1]!.result as { matches: { path: string; escaped?: true }[] };
    assert.deepEqual(
      search.matches.map((m) => [m.path, m.escaped ?? false]),
      [['report\\u200B.pdf', true]],
    );
    assert.ok(!JSON.stringify([list, search]).includes(ZWSP));
    assert.equal(calls[2]!.status, 'succeeded', text(calls[2]!));
  });
});

describe('fs.list and protected paths', () => {
  it('leaves out the project config, a secrets file and another role workspace, which fs.read refuses', async () => {
    const { calls } = await runCalls(
      [
        { tool: 'fs.list', args: { recursive: true } },
        { tool: 'fs.list', args: { path: 'teams' } },
        { tool: 'fs.read', args: { path: 'nightshift.config.yaml' } },
      ],
      (r) => {
        const ws = r.workspace;
        writeFileSync(join(ws, 'nightshift.config.yaml'), 'people: []\n');
        writeFileSync(join(ws, 'secrets.env'), 'API_TOKEN=x\n');
        writeFileSync(join(ws, 'notes.txt'), 'n\n');
        mkdirSync(join(ws, 'teams', 'other'), { recursive: true });
        writeFileSync(join(ws, 'teams', 'other', 'theirs.txt'), 't\n');
        writeFileSync(join(ws, 'teams', 'mine.txt'), 'm\n');
        // The folder around the workspace is protected too (an outer role's workspace): it hides nothing.
        return [
          join(ws, 'nightshift.config.yaml'),
          join(ws, 'secrets.env'),
          join(ws, 'teams', 'other'),
          r.dir,
        ];
      },
    );
    const names = (c: ToolCallRecord) =>
      (c.result as { entries: { name: string }[] }).entries.map((e) => e.name);
    assert.deepEqual(names(calls[0]!), ['notes.txt', 'teams', 'teams/mine.txt']);
    assert.deepEqual(names(calls[1]!), ['mine.txt']);
    assert.match(text(calls[2]!), /is a protected path/);
  });
});
