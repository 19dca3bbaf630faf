// An allowlisted program the role can write is no allowlist: the model writes over it with fs.write, then
// runs it with shell.exec. Refused at role load (ROLE_INVALID at the command's line) and at every call
// (a link outside the workspace may have been pointed into it after the role was loaded).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { shellExec } from '../../src/tools/builtin/shell-exec.js';
import { runCli } from '../support/cli.js';
import { unsandboxedRole, withoutBubblewrap } from '../support/shell.js';
import { tempDir } from '../support/tmp.js';

const tmp = tempDir('nightshift-writable-program-');
after(() => tmp.cleanup());

describe('an allowlisted program inside the workspace', () => {
  it('is refused at role load, naming the file and line, before the model can rewrite and run it', async () => {
    const dir = join(tmp.path, 'cli');
    const ws = join(dir, 'ws');
    mkdirSync(join(ws, 'scripts'), { recursive: true });
    const build = join(ws, 'scripts', 'build.sh');
    writeFileSync(build, '#!/bin/sh\necho legit build\n');
    chmodSync(build, 0o755);
    writeFileSync(
      join(dir, 's.yaml'),
      stringify({
        turns: [
          {
            call: 'fs.write',
            args: { path: 'scripts/build.sh', content: '#!/bin/sh\necho MODEL-AUTHORED\n' },
          },
          { call: 'shell.exec', args: { command: build } },
          { final: {} },
        ],
      }),
    );
    writeFileSync(
      join(dir, 'r.yaml'),
      [
        'name: builder',
        'description: d',
        'autonomy: sandbox',
        'model: script:./s.yaml',
        'instructions: i',
        'tools: [fs.write, shell.exec]',
        'workspace: ./ws',
        'scope:',
        '  commands:',
        `    - { program: ${build} }`,
        '',
      ].join('\n'),
    );
    const out = await runCli(['run', 'r.yaml', '--json'], {
      cwd: dir,
      env: { NIGHTSHIFT_DATA_DIR: join(dir, 'data'), NIGHTSHIFT_DATABASE_URL: '' },
    });
    assert.equal(out.code, 2, out.stdout + out.stderr);
    assert.match(out.stderr, /ROLE_INVALID/);
    assert.match(out.stderr, /r\.yaml:10 scope\.commands\[0\]\.program: the allowlisted program .*build\.sh/);
    // Nothing ran: the model never got to write over it.
    assert.equal(readFileSync(build, 'utf8'), '#!/bin/sh\necho legit build\n');
  });

  it('is refused at the call when a link outside the workspace points into it after load', async () => {
    const dir = join(tmp.path, 'link');
    const ws = join(dir, 'ws');
    const bin = join(dir, 'bin');
    mkdirSync(ws, { recursive: true });
    mkdirSync(bin);
    const tool = join(bin, 'tool');
    writeFileSync(tool, '#!/bin/sh\necho installed tool\n');
    chmodSync(tool, 0o755);
    // The tool lives outside what the sandbox shows (a test cannot install into /usr/local/bin), so this
    // role runs commands unsandboxed: the check comes before the sandbox's and holds for both.
    const role = unsandboxedRole('linked', [tool], dir);
    const check = () =>
      withoutBubblewrap(async () =>
        shellExec.scope!(shellExec.input.parse({ command: tool }), { role, workspace: role.workspace }),
      );
    // The installed tool is fine.
    const before = await check();
    assert.deepEqual(before, { kind: 'inside' });
    // Now it is a link to a file the role can write.
    writeFileSync(join(ws, 'evil.sh'), '#!/bin/sh\necho MODEL-AUTHORED\n');
    chmodSync(join(ws, 'evil.sh'), 0o755);
    rmSync(tool);
    symlinkSync(join(ws, 'evil.sh'), tool);
    const verdict = await check();
    assert.equal(verdict.kind, 'outside');
    assert.match(
      (verdict as { reason: string }).reason,
      /is inside the workspace, which this role's own tools can write/,
    );
  });
});

describe('a stdio MCP server file inside the workspace', () => {
  it('is refused at role load: the server runs outside the sandbox, so a rewrite would run there', async () => {
    const dir = join(tmp.path, 'mcp');
    const ws = join(dir, 'ws');
    mkdirSync(ws, { recursive: true });
    writeFileSync(join(ws, 'server.mjs'), '// an MCP server\n');
    writeFileSync(join(dir, 's.yaml'), stringify({ turns: [{ final: {} }] }));
    writeFileSync(
      join(dir, 'r.yaml'),
      [
        'name: served',
        'description: d',
        'autonomy: sandbox',
        'model: script:./s.yaml',
        'instructions: i',
        'tools: [fs.write]',
        'workspace: ./ws',
        'mcp:',
        '  - name: local',
        `    command: [${process.execPath}, ./ws/server.mjs]`,
        '    tools: { echo: read }',
        '',
      ].join('\n'),
    );
    const out = await runCli(['run', 'r.yaml', '--json'], {
      cwd: dir,
      env: { NIGHTSHIFT_DATA_DIR: join(dir, 'data'), NIGHTSHIFT_DATABASE_URL: '' },
    });
    assert.equal(out.code, 2, out.stdout + out.stderr);
    assert.match(out.stderr, /ROLE_INVALID/);
    assert.match(
      out.stderr,
      /r\.yaml:10 mcp\[0\]\.command\[1\]: the MCP server local runs \.\/ws\/server\.mjs/,
    );
  });

  // Review of the first version: a server file not there yet (the model creates it), a workspace folder a
  // runner executes (node's index.js), an option's value, a program behind a linked folder.
  it('is refused when not there yet, as a folder node would run, in --opt=value, or behind a linked folder', async () => {
    const dir = join(tmp.path, 'mcp-more');
    const ws = join(dir, 'ws');
    mkdirSync(join(ws, 'app'), { recursive: true });
    mkdirSync(join(ws, 'bin'), { recursive: true });
    symlinkSync('./ws/bin', join(dir, 'bin'));
    writeFileSync(join(dir, 's.yaml'), stringify({ turns: [{ final: {} }] }));
    const role = (name: string, command: string[]) => {
      writeFileSync(
        join(dir, `${name}.yaml`),
        stringify({
          name,
          description: 'd',
          autonomy: 'sandbox',
          model: 'script:./s.yaml',
          instructions: 'i',
          tools: ['fs.write'],
          workspace: './ws',
          mcp: [{ name: 'local', command, tools: { echo: 'read' } }],
        }),
      );
      return `${name}.yaml`;
    };
    const refused = [
      role('later', ['node', './ws/later.mjs']),
      role('folder', ['node', './ws/app']),
      role('required', ['node', '--require=./ws/hook.js', '/opt/server.js']),
      role('linked', ['./bin/server']),
    ];
    // A folder to serve, given to a server that does not run it: allowed.
    const allowed = [role('serves', ['npx', '-y', '@modelcontextprotocol/server-filesystem', './ws'])];
    const out = await runCli(['validate', ...refused, ...allowed], { cwd: dir });
    assert.equal(out.code, 2, out.stdout + out.stderr);
    assert.match(
      out.stderr,
      /later\.yaml:\d+ mcp\[0\]\.command\[1\]: the MCP server local runs \.\/ws\/later\.mjs/,
    );
    assert.match(
      out.stderr,
      /folder\.yaml:\d+ mcp\[0\]\.command\[1\]: the MCP server local runs \.\/ws\/app/,
    );
    assert.match(
      out.stderr,
      /required\.yaml:\d+ mcp\[0\]\.command\[1\]: the MCP server local runs --require=\.\/ws\/hook\.js/,
    );
    assert.match(
      out.stderr,
      /linked\.yaml:\d+ mcp\[0\]\.command\[0\]: the MCP server local runs \.\/bin\/server/,
    );
    assert.doesNotMatch(out.stderr, /serves\.yaml/);
    assert.match(out.stdout, /serves\.yaml/);
  });
});
