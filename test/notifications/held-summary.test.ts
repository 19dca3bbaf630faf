// What a notified person is told an escalation holds, through the real CLI and a real receiver: the same as
// `nightshift inbox` says it. A held call only where there is one to let run (docs/escalation-channels.md:
// the summary carries "the held call or the change set"); a held result as a result; the model's own
// `escalate` holds nothing.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, runCli } from '../support/cli.js';
import { startReceiver } from '../support/decision-receiver.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const SECRET = 'held-summary-secret-0123456789abcdef';

async function notifiedSummary(o: Parameters<typeof role>[0]): Promise<string> {
  const rx = await startReceiver(SECRET);
  const r = role({ ...o, extra: { ...o.extra, escalate: { tiers: [{ to: ['alice'] }] } } });
  writeFileSync(
    join(r.dir, 'nightshift.config.yaml'),
    `people:\n  - { name: alice, webhook: '${rx.url}', decides: ['*'] }\n`,
  );
  const run = json<{ status: string }>(
    await runCli(['run', r.file, '--json', '--data-dir', r.dataDir], { cwd: r.dir }),
  );
  assert.equal(run.status, 'escalated');
  const sent = await runCli(['notify', '--once', '--data-dir', r.dataDir], {
    cwd: r.dir,
    env: { NIGHTSHIFT_DECISIONS_SECRET: SECRET },
  });
  assert.equal(sent.code, 0, sent.stderr);
  assert.equal(rx.deliveries.length, 1, sent.stdout);
  const decision = rx.deliveries[0]!.body.decision as { summary: string };
  return decision.summary;
}

describe('the summary a notified person reads', () => {
  it("names no held call for the model's own escalate", async () => {
    const summary = await notifiedSummary({
      autonomy: 'full',
      turns: [{ escalate: { category: 'legal', reason: 'is this allowed?' } }, { final: { summary: 'ok' } }],
    });
    assert.match(summary, /escalated \(legal, model\): is this allowed\?/);
    assert.doesNotMatch(summary, /Held call/);
    assert.doesNotMatch(summary, /"tool":"escalate"/);
  });

  it('names the held call of a tool rule', async () => {
    const summary = await notifiedSummary({
      autonomy: 'full',
      turns: [{ call: 'fs.write', args: { path: 'a.txt', content: 'x' } }, { final: { summary: 'ok' } }],
      escalation: [{ category: 'high_impact', when: { tool: 'fs.write' } }],
    });
    assert.match(summary, /Held call: \{"tool":"fs.write"/);
  });

  it('names a held result as a result of a call that has run', async () => {
    const summary = await notifiedSummary({
      autonomy: 'full',
      turns: [{ call: 'fs.list', args: { path: '.' } }, { final: { summary: 'ok' } }],
      escalation: [{ category: 'security', when: { result: { tool: 'fs.list' } } }],
    });
    assert.match(summary, /Held result of: fs\.list \{"path":"\."\} \(the call has run\)/);
    assert.doesNotMatch(summary, /Held call/);
  });
});
