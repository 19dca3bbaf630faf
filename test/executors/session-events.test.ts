// Reading recorded session output: Claude Code's stream-json messages and Codex's JSONL events.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readClaudeMessage } from '../../src/executors/claude-code/messages.js';
import { readCodexLine } from '../../src/executors/codex/events.js';
import { codexConfig, codexSandboxFor } from '../../src/executors/codex/index.js';

describe('Claude Code messages', () => {
  it('turns assistant text, tool uses and tool results into events', () => {
    const assistant = readClaudeMessage({
      type: 'assistant',
      message: {
        model: 'claude-sonnet-4-5',
        content: [
          { type: 'text', text: 'Reading.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Read', input: { file_path: '/w/a' } },
        ],
      },
    });
    assert.deepEqual(assistant.events, [
      { type: 'assistant', text: 'Reading.' },
      { type: 'tool_use', tool: 'Read', input: { file_path: '/w/a' } },
    ]);
    const user = readClaudeMessage({
      type: 'user',
      message: {
        content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'denied', is_error: true }],
      },
    });
    assert.deepEqual(user.events, [{ type: 'tool_result', text: 'denied', isError: true }]);
  });

  it('treats a result with is_error as a failure even when its subtype says success', () => {
    const read = readClaudeMessage({
      type: 'result',
      subtype: 'success',
      is_error: true,
      result: 'API Error: Unable to connect to API (ConnectionRefused)',
      num_turns: 1,
      total_cost_usd: 0,
      usage: { input_tokens: 0, output_tokens: 0 },
    });
    assert.equal(read.result?.isError, true);
    assert.equal(read.result?.subtype, 'success');
  });

  it('takes usage and total_cost_usd from the result (cache reads count as input)', () => {
    const read = readClaudeMessage({
      type: 'result',
      subtype: 'success',
      is_error: false,
      result: '{"ok":true}',
      num_turns: 3,
      total_cost_usd: 0.0123,
      usage: {
        input_tokens: 100,
        output_tokens: 20,
        cache_read_input_tokens: 50,
        cache_creation_input_tokens: 10,
      },
    });
    assert.deepEqual(read.result?.usage, {
      inputTokens: 160,
      outputTokens: 20,
      cachedInputTokens: 50,
      costUsd: 0.0123,
    });
    assert.equal(read.result?.turns, 3);
    assert.equal(read.result?.text, '{"ok":true}');
  });

  it('ignores what it does not know', () => {
    assert.deepEqual(readClaudeMessage({ type: 'stream_event', event: {} }).events, []);
    assert.deepEqual(readClaudeMessage('nonsense').events, []);
  });
});

describe('Codex JSONL events', () => {
  // Recorded from codex-cli 0.169.0 against the fake Responses API.
  const recorded = [
    '{"type":"thread.started","thread_id":"01a2"}',
    '{"type":"turn.started"}',
    '{"type":"item.completed","item":{"id":"item_0","type":"error","message":"Model metadata for `gpt-5` not found."}}',
    '{"type":"item.started","item":{"id":"item_1","type":"command_execution","command":"/bin/bash -lc \'cat notes.txt\'","aggregated_output":"","exit_code":null,"status":"in_progress"}}',
    '{"type":"item.completed","item":{"id":"item_1","type":"command_execution","command":"/bin/bash -lc \'cat notes.txt\'","aggregated_output":"hello\\n","exit_code":0,"status":"completed"}}',
    '{"type":"item.completed","item":{"id":"item_2","type":"agent_message","text":"done"}}',
    '{"type":"turn.completed","usage":{"input_tokens":75,"cached_input_tokens":10,"cache_write_input_tokens":0,"output_tokens":30,"reasoning_output_tokens":0}}',
  ];

  it('reads commands, the answer and usage; a warning item is an event, not a failure', () => {
    const lines = recorded.map(readCodexLine);
    assert.equal(lines.filter((l) => l.event).length, 5);
    assert.equal(lines[2]!.failure, undefined);
    assert.deepEqual(lines[4]!.event, {
      type: 'item.completed/command_execution',
      tool: 'command_execution',
      input: { command: "/bin/bash -lc 'cat notes.txt'" },
      text: 'hello\n',
      isError: false,
    });
    assert.equal(lines[5]!.answer, 'done');
    assert.deepEqual(lines[6]!.usage, { inputTokens: 75, outputTokens: 30, cachedInputTokens: 10 });
  });

  it('marks a failed command and a failed turn', () => {
    const cmd = readCodexLine(
      '{"type":"item.completed","item":{"type":"command_execution","command":"x","aggregated_output":"Read-only file system","exit_code":1,"status":"failed"}}',
    );
    assert.equal(cmd.event?.isError, true);
    assert.equal(readCodexLine('{"type":"turn.failed","error":{"message":"400 bad"}}').failure, '400 bad');
    assert.equal(
      readCodexLine('{"type":"error","message":"Reconnecting... 1/2"}').problem,
      'Reconnecting... 1/2',
    );
    assert.deepEqual(readCodexLine('not json'), {});
  });
});

describe('Codex sandbox and config', () => {
  it('maps the ladder onto the sandbox', () => {
    const rw = ['fs.read', 'fs.write'];
    const table: [Parameters<typeof codexSandboxFor>[0], string][] = [
      [{ autonomy: 'observe', roleTools: rw, codexSandbox: 'danger-full-access' }, 'read-only'],
      [{ autonomy: 'draft', roleTools: rw, codexSandbox: 'workspace-write' }, 'workspace-write'],
      [{ autonomy: 'sandbox', roleTools: rw, codexSandbox: 'danger-full-access' }, 'workspace-write'],
      [{ autonomy: 'full', roleTools: rw, codexSandbox: 'workspace-write' }, 'workspace-write'],
      [{ autonomy: 'full', roleTools: rw, codexSandbox: 'danger-full-access' }, 'danger-full-access'],
      [{ autonomy: 'full', roleTools: ['fs.read'], codexSandbox: 'danger-full-access' }, 'read-only'],
    ];
    for (const [request, expected] of table)
      assert.equal(codexSandboxFor(request), expected, JSON.stringify(request));
  });

  it('configures a custom Responses provider and no analytics', () => {
    const toml = codexConfig({ modelId: 'gpt-5', baseUrl: 'http://127.0.0.1:1/v1' });
    assert.match(toml, /model_provider = "nightshift"/);
    assert.match(toml, /base_url = "http:\/\/127\.0\.0\.1:1\/v1"/);
    assert.match(toml, /wire_api = "responses"/);
    assert.match(toml, /\[analytics\]\nenabled = false/);
    assert.match(toml, /exclude_slash_tmp = true/);
  });
});
