// nightshift as an MCP server for the real Claude Code CLI: `claude -p` (installed by
// scripts/test-executors.sh) starts `nightshift mcp` from its --mcp-config, offline against the local fake
// Anthropic server, whose script calls the nightshift tools: list the roles, start a run, read its result.
// The fake checks tool names as the real API does, so a name Claude Code could not send would fail here.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRuntime } from '../src/runtime.js';
import type { FakeAnswer, FakeRequest } from '../test/support/fake-anthropic.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import type { FakeServer } from '../test/support/fake-llm.js';
import { repoRoot } from '../test/support/paths.js';
import { type TestRole, writeTestRole } from '../test/support/roles.js';
import { tempDir } from '../test/support/tmp.js';

/** The claude executable: NIGHTSHIFT_CLAUDE_PATH, else the one next to the SDK the script installed. */
function claudePath(): string {
  const explicit = process.env.NIGHTSHIFT_CLAUDE_PATH?.trim();
  if (explicit) return explicit;
  const sdk = process.env.NIGHTSHIFT_CLAUDE_SDK?.trim();
  assert.ok(sdk, 'run through scripts/test-executors.sh (it sets NIGHTSHIFT_CLAUDE_SDK)');
  const cli = join(dirname(sdk), `claude-agent-sdk-${process.platform}-${process.arch}`, 'claude');
  assert.ok(existsSync(cli), `no Claude Code binary at ${cli}`);
  return cli;
}

/** Claude Code's name for a tool of the MCP server `nightshift`, as the requests show it. */
function toolNamed(names: string[], tool: string): string {
  const found = names.find((n) => n.startsWith('mcp__nightshift__') && n.endsWith(tool.replace('.', '_')));
  return found ?? names.find((n) => n.startsWith('mcp__nightshift__') && n.endsWith(tool)) ?? '';
}

describe('nightshift mcp with the real Claude Code CLI as the client', () => {
  let fake: FakeServer;
  let role: TestRole;
  const home = tempDir('nightshift-claude-home-');
  const seen: string[][] = [];

  /** The scripted Claude: by how many tool results the conversation holds, the next nightshift call. */
  function script(request: FakeRequest): FakeAnswer {
    const turn = fake.read(request);
    const names = turn.toolNames.filter((n) => n.startsWith('mcp__nightshift__'));
    // Side requests (titles, summaries) carry no tools: plain text.
    if (names.length === 0) return { text: 'ok' };
    seen.push(names);
    const results = turn.toolResults;
    if (results.length === 0) return { calls: [{ name: toolNamed(names, 'roles.list'), input: {} }] };
    if (results.length === 1)
      return {
        calls: [
          {
            name: toolNamed(names, 'runs.start'),
            input: { role: 'summarizer', input: { ticket: 'T-9' } },
          },
        ],
      };
    if (results.length === 2) {
      // Claude Code appends its own reminders to a tool's text: the id is read out of it.
      const runId = /"runId":"([^"]+)"/.exec(results[1]!.content)?.[1] ?? 'no run id in the answer';
      return { calls: [{ name: toolNamed(names, 'runs.get'), input: { runId, steps: false } }] };
    }
    const got = results[2]!.content;
    const status = /"status":"([a-z_]+)"/.exec(got)?.[1];
    const output = /"output":(\{[^}]*\})/.exec(got)?.[1];
    return { text: `The run ${status}: ${output}` };
  }

  before(async () => {
    role = writeTestRole({
      name: 'summarizer',
      autonomy: 'full',
      tools: [],
      ledgerTools: false,
      turns: [{ final: { summary: 'ticket T-9 is quiet' } }],
    });
    fake = await startFakeAnthropic({ validate: true });
    fake.enqueue(...Array.from({ length: 50 }, () => (request: FakeRequest) => script(request)));
  });
  after(async () => {
    await fake.close();
    role.cleanup();
    home.cleanup();
  });

  it('lists the tools, starts a run of a scripted role and reads its result', async () => {
    const config = join(home.path, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          nightshift: {
            command: process.execPath,
            args: [join(repoRoot, 'bin', 'nightshift.js'), 'mcp', role.file, '--data-dir', role.dataDir],
            env: { NIGHTSHIFT_ACTOR: 'claude-test' },
          },
        },
      }),
    );
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      HOME: home.path,
      CLAUDE_CONFIG_DIR: join(home.path, '.claude'),
      ANTHROPIC_API_KEY: 'test-key',
      ANTHROPIC_BASE_URL: fake.url,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_ERROR_REPORTING: '1',
      DISABLE_AUTOUPDATER: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      // Offer the MCP tools in every request, not behind Claude Code's tool search (the scripted model
      // calls them by name).
      ENABLE_TOOL_SEARCH: 'false',
    };
    const claude = spawn(
      claudePath(),
      [
        '-p',
        'List the nightshift roles, start a summarizer run for ticket T-9, and report its output.',
        '--mcp-config',
        config,
        '--strict-mcp-config',
        // Every tool of the nightshift server may run without asking (there is no one to ask in -p).
        '--allowedTools',
        'mcp__nightshift',
        '--output-format',
        'json',
        '--model',
        'claude-sonnet-4-5',
      ],
      { cwd: home.path, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // A session that hangs (a script error the CLI retries) is not left behind.
    const stop = setTimeout(() => claude.kill('SIGKILL'), 240_000);
    let stdout = '';
    let stderr = '';
    claude.stdout.on('data', (d) => {
      stdout += d;
    });
    claude.stderr.on('data', (d) => {
      stderr += d;
    });
    const code = await new Promise<number | null>((resolve) => claude.on('close', resolve));
    clearTimeout(stop);
    assert.equal(code, 0, `claude exited ${code}\nstdout: ${stdout}\nstderr: ${stderr}`);

    // Claude saw nightshift's tools, and none of them decides.
    const offered = seen[0] ?? [];
    for (const tool of ['roles', 'runs', 'inbox', 'events'])
      assert.ok(
        offered.some((n) => n.includes(tool)),
        `no ${tool} tool in ${offered.join(', ')}`,
      );
    assert.ok(!offered.some((n) => /approve|reject|answer|decide|cancel/.test(n)), offered.join(', '));

    const result = JSON.parse(stdout) as { result?: string; is_error?: boolean };
    assert.equal(result.is_error, false, stdout);
    assert.match(result.result ?? '', /succeeded/);
    assert.match(result.result ?? '', /ticket T-9 is quiet/);

    // The run is in the store, started through MCP and finished.
    const rt = await createRuntime({ dataDir: role.dataDir });
    try {
      const runs = await rt.list({ role: 'summarizer' });
      assert.equal(runs.length, 1);
      assert.equal(runs[0]!.status, 'succeeded');
      assert.deepEqual(runs[0]!.output, { summary: 'ticket T-9 is quiet' });
      assert.deepEqual(runs[0]!.input, { ticket: 'T-9' });
    } finally {
      await rt.close();
    }
  });
});
