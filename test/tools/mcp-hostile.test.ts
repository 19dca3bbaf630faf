// MCP servers that misbehave (a real child process speaking JSON-RPC by hand): each gets a clear error
// naming the server, the process exits, nothing is recorded for a role that cannot start, and a server that
// exited is started again for the next call instead of breaking the prepared role for good.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createRuntime } from '../../src/runtime.js';
import { loadSecrets } from '../../src/tools/secrets.js';
import { startCli } from '../support/cli.js';
import { fixtures } from '../support/paths.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

const hostile = (extra: Record<string, unknown> = {}) => ({
  name: 'h',
  command: [process.execPath, fixtures('mcp', 'hostile-server.mjs')],
  env: ['MODE', 'MARK_FILE'],
  tools: { echo: 'read' },
  ...extra,
});

function role(turns: unknown[], mcp: unknown[], limits: Record<string, unknown> = {}): TestRole {
  const r = writeTestRole({ autonomy: 'full', tools: [], ledgerTools: false, turns, extra: { limits } });
  made.push(r);
  writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify({ mcp })}`);
  return r;
}

const callEcho = { call: 'h.echo', args: { text: 'hi' } };
const done = { final: { summary: 'done' } };

describe('an MCP server that cannot give its tools', () => {
  for (const [mode, says] of [
    ['crash-list', /MCP server h \(.*hostile-server\.mjs'\) did not list its tools: .*Connection closed/],
    ['bad-list', /MCP server h .* did not list its tools: its answer is not an MCP tool list \(tools: /],
    [
      'bad-schema',
      /MCP server h: tool 'echo' has an input schema that cannot be used to check its arguments: schema is invalid/,
    ],
    [
      'huge-description',
      /MCP server h: tool 'echo' has a description of 5,242,880 bytes; nightshift takes at most 8,192 bytes from an MCP server/,
    ],
    [
      'huge-schema',
      /MCP server h: tool 'echo' has an input schema of \d{2},\d{3} bytes; nightshift takes at most 65,536 bytes from an MCP server/,
    ],
    [
      'endless-cursor',
      /MCP server h \(.*hostile-server\.mjs'\) did not list its tools: its tool list goes on past 100 pages \(nextCursor never ends\) without offering echo/,
    ],
    [
      'redos-pattern',
      /MCP server h: tool 'echo' has an input schema that cannot be used to check its arguments: pattern "\^\(\?=\(a\+\)\+\$\)a\*\$" cannot run on RE2 \(.*\); patterns from an MCP server may not use lookaround or backreferences/,
    ],
  ] as const) {
    it(`${mode}: the CLI exits 2 with TOOL_NOT_FOUND naming the server, records nothing, and leaves no process behind`, async () => {
      const r = role([callEcho, done], [hostile()]);
      const cli = startCli(['run', r.file, '--data-dir', r.dataDir], { env: { MODE: mode } });
      // A server left connected kept the CLI from ever exiting.
      const killer = setTimeout(() => cli.child.kill('SIGKILL'), 30_000);
      const result = await cli.done;
      clearTimeout(killer);
      assert.equal(result.signal, null, `the CLI hung: ${result.stderr}`);
      assert.equal(result.code, 2, result.stderr);
      assert.doesNotMatch(result.stderr, /internal error|\n\s+at /);
      assert.match(result.stderr, /TOOL_NOT_FOUND/);
      assert.match(result.stderr, says);
      const rt = await createRuntime({ dataDir: r.dataDir });
      try {
        assert.deepEqual(await rt.list(), []);
      } finally {
        await rt.close();
      }
    });
  }
});

describe('the values a role gives its MCP server (mcp[].env)', () => {
  it('are scrubbed from what is stored like secrets: a crash that prints its token stores [secret NAME]', async () => {
    const token = 'sk-live-4f9a2c7e1b8d';
    const r = role([callEcho, done], [hostile({ env: ['MODE', 'NOTES_TOKEN'] })]);
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ...process.env, MODE: 'crash-leak', NOTES_TOKEN: token },
    });
    try {
      const result = await rt.run(r.file, {});
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.equal(call.status, 'failed');
      assert.match(
        (call.result as { error: string }).error,
        /its stderr ended with: hostile: auth failed with token \[secret NOTES_TOKEN\]\)/,
      );
    } finally {
      await rt.close();
    }
    for (const file of readdirSync(r.dataDir, { recursive: true, encoding: 'utf8' }))
      if (statSync(join(r.dataDir, file)).isFile())
        assert.ok(!readFileSync(join(r.dataDir, file)).includes(token), `the token is in ${file}`);
  });
});

describe("a credential for an MCP server kept in the role's secretsFile", () => {
  it("reaches the server (mcp[].env takes the file's value), is scrubbed from the store, and is not offered to tools", async () => {
    const token = 'sk-file-7c1e9b4a2d6f';
    const r = role([callEcho, done], [hostile({ env: ['MODE', 'NOTES_TOKEN'] })]);
    // Only in the file: nightshift's own environment does not have it. Not declared under `secrets:`.
    writeFileSync(join(r.dir, 'secrets.env'), `NOTES_TOKEN=${token}\n`);
    writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}secretsFile: ./secrets.env\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, MODE: 'crash-leak' };
    delete env.NOTES_TOKEN;
    const rt = await createRuntime({ dataDir: r.dataDir, env });
    try {
      const result = await rt.run(r.file, {});
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      // Before, the server got no NOTES_TOKEN and printed "token undefined".
      assert.match(
        (call.result as { error: string }).error,
        /its stderr ended with: hostile: auth failed with token \[secret NOTES_TOKEN\]\)/,
      );
    } finally {
      await rt.close();
    }
    for (const file of readdirSync(r.dataDir, { recursive: true, encoding: 'utf8' }))
      if (statSync(join(r.dataDir, file)).isFile())
        assert.ok(!readFileSync(join(r.dataDir, file)).includes(token), `the token is in ${file}`);
    const secrets = loadSecrets(
      {
        name: 'r',
        secrets: [],
        secretsFile: join(r.dir, 'secrets.env'),
        mcp: [hostile({ env: ['NOTES_TOKEN'] }) as never],
      },
      {},
    );
    assert.throws(() => secrets.get('NOTES_TOKEN'), /not declared/);
  });
});

describe('a tool list over pages', () => {
  it('follows nextCursor to a listed tool on a later page, and calls it', async () => {
    const r = role([callEcho, done], [hostile()]);
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, MODE: 'paginate' } });
    try {
      // Only the first page was read: the run failed at start with "MCP server h has no tool 'echo'".
      const result = await rt.run(r.file, {});
      assert.equal(result.status, 'succeeded');
      const call = (await rt.get(result.runId))!.toolCalls[0]!;
      assert.equal(call.status, 'succeeded', JSON.stringify(call.result));
      assert.deepEqual(call.result, { content: 'echo:hi' });
    } finally {
      await rt.close();
    }
  });
});

describe('an MCP tool call that goes wrong', () => {
  it('a malformed result is TOOL_RESULT_INVALID (not the arguments), a silent server TOOL_TIMEOUT, a server error TOOL_FAILED with its words', async () => {
    const cases = [
      [
        'malformed',
        'TOOL_RESULT_INVALID',
        /^h\.echo: MCP server h answered with something that is not an MCP tool result \(content: /,
      ],
      [
        'hang-call',
        'TOOL_TIMEOUT',
        /^h\.echo: MCP server h did not answer within limits\.execSeconds \(1 s\)$/,
      ],
      ['rpc-error', 'TOOL_FAILED', /^h\.echo failed: .*the backend says no$/],
    ] as const;
    for (const [mode, code, says] of cases) {
      const r = role([callEcho, done], [hostile()], { execSeconds: 1 });
      const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, MODE: mode } });
      try {
        const result = await rt.run(r.file, {});
        assert.equal(result.status, 'succeeded', mode);
        const call = (await rt.get(result.runId))!.toolCalls[0]!;
        assert.equal(call.status, 'failed', mode);
        const { error, code: got } = call.result as { error: string; code: string };
        assert.equal(got, code, `${mode}: ${error}`);
        assert.match(error, says, mode);
      } finally {
        await rt.close();
      }
    }
  });

  it('a server that exited during a call is started again: the next run of the prepared role reaches it', async () => {
    const r = role([callEcho, done, callEcho, done], [hostile()]);
    const mark = join(r.dir, 'crashed');
    const rt = await createRuntime({
      dataDir: r.dataDir,
      env: { ...process.env, MODE: 'crash-once', MARK_FILE: mark },
    });
    try {
      const first = await rt.run(r.file, {});
      const failed = (await rt.get(first.runId))!.toolCalls[0]!;
      assert.equal(failed.status, 'failed');
      assert.match(
        (failed.result as { error: string }).error,
        /^h\.echo: MCP server h closed the connection during the call \(its stderr ended with: hostile: out of memory, exiting\); it is started again for the next call$/,
      );
      // Same runtime, same prepared role (serve keeps it for every later run): it used to say "Not connected".
      const second = await rt.run(r.file, {});
      const call = (await rt.get(second.runId))!.toolCalls[0]!;
      assert.equal(call.status, 'succeeded', JSON.stringify(call.result));
      assert.deepEqual(call.result, { content: 'echo:hi' });
    } finally {
      await rt.close();
    }
  });
});
