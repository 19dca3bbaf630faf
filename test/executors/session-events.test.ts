// Reading recorded session output: Claude Code's stream-json messages and Codex's app-server notifications.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readClaudeMessage } from '../../src/executors/claude-code/messages.js';
import { readCodexNotification } from '../../src/executors/codex/events.js';
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

describe('Codex app-server notifications', () => {
  // Recorded from codex-cli 0.169.0 (`codex app-server`) against the fake Responses API, trimmed.
  const thread = { threadId: 't1', turnId: 'u1' };
  const command = {
    type: 'commandExecution',
    id: 'call_1_0',
    command: "/bin/bash -lc 'cat notes.txt'",
    cwd: '/w',
    status: 'completed',
    aggregatedOutput: 'hello\n',
    exitCode: 0,
  };

  it('reads commands, the answer and usage', () => {
    assert.deepEqual(readCodexNotification('item/completed', { ...thread, item: command }).event, {
      type: 'item.completed/commandExecution',
      tool: 'command_execution',
      input: { command: "/bin/bash -lc 'cat notes.txt'" },
      text: 'hello\n',
      isError: false,
    });
    const message = readCodexNotification('item/completed', {
      ...thread,
      item: { type: 'agentMessage', id: 'msg_1', text: 'done', phase: null },
    });
    assert.equal(message.answer, 'done');
    const usage = readCodexNotification('thread/tokenUsage/updated', {
      ...thread,
      tokenUsage: {
        total: { totalTokens: 115, inputTokens: 75, cachedInputTokens: 10, outputTokens: 30 },
        last: { totalTokens: 35, inputTokens: 25, cachedInputTokens: 0, outputTokens: 10 },
      },
    });
    assert.deepEqual(usage.usage, { inputTokens: 75, outputTokens: 30, cachedInputTokens: 10 });
    // The prompt itself is not a step: it is the run's input.
    assert.deepEqual(
      readCodexNotification('item/completed', {
        ...thread,
        item: { type: 'userMessage', id: 'u', content: [] },
      }),
      {},
    );
  });

  it('announces a file change before Codex asks to apply it', () => {
    const change = { path: '/w/a.txt', kind: { type: 'add' }, diff: 'hello\n' };
    const notice = readCodexNotification('item/started', {
      ...thread,
      item: { type: 'fileChange', id: 'call_2_0', changes: [change], status: 'inProgress' },
    });
    assert.deepEqual(notice.fileChange, { itemId: 'call_2_0', changes: [change] });
  });

  it('marks a declined command, a failed turn and a retried error', () => {
    const declined = readCodexNotification('item/completed', {
      ...thread,
      item: { ...command, status: 'declined', exitCode: null, aggregatedOutput: null },
    });
    assert.equal(declined.event?.isError, true);
    const failed = readCodexNotification('turn/completed', {
      threadId: 't1',
      turn: { id: 'u1', status: 'failed', error: { message: '400 bad' } },
    });
    assert.equal(failed.completed?.failure, '400 bad');
    const ok = readCodexNotification('turn/completed', {
      threadId: 't1',
      turn: { id: 'u1', status: 'completed' },
    });
    assert.deepEqual(ok.completed, { failure: undefined });
    assert.equal(
      readCodexNotification('error', {
        ...thread,
        error: { message: 'Reconnecting... 1/2' },
        willRetry: true,
      }).problem,
      'Reconnecting... 1/2',
    );
    assert.deepEqual(readCodexNotification('item/completed', 'nonsense'), {});
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
    const toml = codexConfig({ modelId: 'gpt-5', baseUrl: 'http://127.0.0.1:1/v1' }, 'workspace-write', [
      '/srv/ns/data',
      '/nonexistent/secrets.env',
    ]);
    assert.match(toml, /model_provider = "nightshift"/);
    assert.match(toml, /base_url = "http:\/\/127\.0\.0\.1:1\/v1"/);
    assert.match(toml, /wire_api = "responses"/);
    assert.match(toml, /\[analytics\]\nenabled = false/);
    // The sandbox is a permission profile: nothing writable but the workspace, protected paths unreadable.
    assert.match(toml, /^default_permissions = "nightshift"$/m);
    assert.ok(toml.indexOf('default_permissions') < toml.indexOf('['), 'a top-level key, before any table');
    assert.match(toml, /\[permissions\.nightshift\]\nextends = ":workspace"/);
    assert.match(toml, /":tmpdir" = "read"\n":slash_tmp" = "read"/);
    assert.doesNotMatch(toml, /sandbox_mode|sandbox_workspace_write/);
    // No tool Codex would use without asking.
    assert.match(toml, /web_search = "disabled"/);
    assert.match(toml, /multi_agent = false/);
    assert.match(toml, /^"\/srv\/ns\/data" = "none"$/m);
    assert.match(toml, /^"\/nonexistent\/secrets\.env" = "none"$/m);
  });

  it('danger-full-access has no profile (no sandbox to deny anything in)', () => {
    const toml = codexConfig({ modelId: 'gpt-5', baseUrl: 'http://x/v1' }, 'danger-full-access', ['/srv/d']);
    assert.doesNotMatch(toml, /default_permissions|\[permissions|"none"/);
  });
});
