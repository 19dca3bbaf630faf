// A role on an executor (claude-code:, codex:) with MCP servers: the CLIs are not offered MCP tools
// (decision 046), so its servers are not started either. The run is refused before anything is recorded,
// with MODEL_CONFIG naming the servers; it used to start them (with the env the role gives them) for
// nothing. Real CLI; the Codex CLI is a placeholder file, since resolving the executor only checks it exists.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { createRuntime } from '../../src/runtime.js';
import { startCli } from '../support/cli.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

describe('an executor role with mcp: servers', () => {
  it('is refused with MODEL_CONFIG before anything runs: no server starts, no run is recorded', async () => {
    const r = writeTestRole({
      autonomy: 'full',
      tools: [],
      ledgerTools: false,
      turns: [],
      extra: { model: 'codex:gpt-5' },
    });
    made.push(r);
    const started = join(r.dir, 'server-started');
    const codex = join(r.dir, 'codex');
    writeFileSync(codex, '');
    const mcp = [
      // Any process it starts leaves the file behind.
      { name: 'notes', command: ['/bin/sh', '-c', 'echo started > "$0"', started], tools: { echo: 'read' } },
    ];
    writeFileSync(r.file, `${readFileSync(r.file, 'utf8')}${stringify({ mcp })}`);
    const result = await startCli(['run', r.file, '--data-dir', r.dataDir], {
      env: { NIGHTSHIFT_CODEX_PATH: codex, OPENAI_API_KEY: 'sk-test' },
    }).done;
    assert.notEqual(result.code, 0, result.stdout);
    assert.match(result.stderr, /MODEL_CONFIG/);
    assert.match(
      result.stderr,
      /role test-role: model codex:gpt-5 runs an agent CLI, which is not offered MCP tools, so nightshift does not start the role's MCP servers \(mcp: notes\); remove mcp: from the role/,
    );
    assert.equal(existsSync(started), false, 'the MCP server was started');
    const rt = await createRuntime({ dataDir: r.dataDir });
    try {
      assert.deepEqual(await rt.list(), []);
    } finally {
      await rt.close();
    }
  });
});
