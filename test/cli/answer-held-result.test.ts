// docs/escalation-rules.md, "Answering", through the real CLI: the page's own rule (shell.exec whose stdout
// mentions data loss) pauses the run; `answer --allow-call` is refused (exit 2: the call has run, there is
// nothing to allow) and changes nothing; `answer --withhold-result` continues the run with the call's result
// replaced by `{ withheld, reason, answer }`, while the escalation keeps the result itself for people.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();

interface Shown {
  status: string;
  toolCalls: { tool: string; result: unknown }[];
  escalationRecords: { id: string; status: string; context: { result?: { stdout?: string } } }[];
}

describe('answering a held result on the command line', () => {
  it('refuses --allow-call (exit 2) and withholds the result with --withhold-result', async () => {
    const r = role({
      autonomy: 'full',
      tools: ['shell.exec'],
      ledgerTools: false,
      escalation: [
        {
          category: 'security',
          reason: 'the storage check reports data loss',
          when: { result: { tool: 'shell.exec', path: 'stdout', matches: '(?i)data\\s+loss' } },
        },
      ],
      turns: [
        { call: 'shell.exec', args: { command: 'echo', args: ['fsck: DATA  LOSS in inode 12'] } },
        { final: { summary: 'done' } },
      ],
      extra: { scope: { commands: ['echo'] } },
    });
    const cli = (args: string[]) => runCli([...args, '--data-dir', r.dataDir], { cwd: r.dir });
    const paused = await cli(['run', r.file, '--json']);
    assert.equal(paused.code, 3, paused.stderr);
    const out = json<{ runId: string; escalations: { id: string; source: string; category: string }[] }>(
      paused,
    );
    const e = out.escalations[0]!;
    assert.deepEqual([e.source, e.category], ['result_rule', 'security']);

    const allow = await cli(['answer', e.id, 'go on', '--allow-call', '--as', 'ops']);
    assert.equal(allow.code, 2, allow.stderr);
    assert.match(allow.stderr, /holds the result of a call that has already run, not a call/);
    assert.equal(json<Shown>(await cli(['show', out.runId, '--json'])).status, 'escalated');

    const withheld = await cli([
      'answer',
      e.id,
      'do not act on it',
      '--withhold-result',
      '--as',
      'ops',
      '--json',
    ]);
    assert.equal(withheld.code, 0, withheld.stderr);
    assert.equal(json<{ status: string }>(withheld).status, 'succeeded');
    const shown = json<Shown>(await cli(['show', out.runId, '--json']));
    const call = shown.toolCalls.find((c) => c.tool === 'shell.exec')!;
    assert.deepEqual(call.result, {
      withheld: true,
      reason: `the result was withheld by ops (escalation ${e.id}, security)`,
      answer: 'do not act on it',
    });
    const record = shown.escalationRecords.find((x) => x.id === e.id)!;
    assert.equal(record.status, 'answered');
    assert.match(String(record.context.result?.stdout), /DATA {2}LOSS/);
  });
});
