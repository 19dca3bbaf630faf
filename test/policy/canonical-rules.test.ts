// Escalation rules on a call's arguments see the call as it will act, not only as the model spelt it:
// `./deploy/x`, `a/../deploy/x`, `deploy//x` or a symlink into deploy/ are all `deploy/x`, and a URL is
// judged as parsed. Before, a rule on `^deploy/` let every one of these run unasked.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntime } from '../../src/runtime.js';
import { fixtures } from '../support/paths.js';
import { type TestRole, writeTestRole } from '../support/roles.js';

const made: TestRole[] = [];
after(() => {
  for (const r of made) r.cleanup();
});

const ESCALATION = [
  { category: 'high_impact', when: { tool: 'fs.write', arg: 'path', matches: '^deploy/' } },
  { category: 'high_impact', when: { tool: 'fs.delete', arg: 'path', eq: 'prod.env' } },
  {
    category: 'money',
    when: { tool: 'http.fetch', arg: 'url', matches: '^http://127\\.0\\.0\\.1:1/v1/refunds' },
  },
];

async function attempt(call: { tool: string; args: Record<string, unknown> }, setup?: (r: TestRole) => void) {
  const r = writeTestRole({
    autonomy: 'full',
    tools: ['fs.write', 'fs.delete', 'http.fetch'],
    turns: [{ call: call.tool, args: call.args }, { final: { summary: 'done' } }],
    escalation: ESCALATION,
    ledgerTools: false,
    extra: { scope: { hosts: ['127.0.0.1'] } },
  });
  made.push(r);
  mkdirSync(join(r.workspace, 'deploy'));
  setup?.(r);
  const rt = await createRuntime({ dataDir: r.dataDir });
  try {
    const result = await rt.run(r.file, {});
    const snap = (await rt.get(result.runId))!;
    return { r, status: result.status, call: snap.toolCalls[0]! };
  } finally {
    await rt.close();
  }
}

describe('escalation rules match the call as it will act', () => {
  const writes: [string, string, ((r: TestRole) => void)?][] = [
    ['a leading ./', './deploy/pipeline.yaml'],
    ['a .. that comes back', 'x/../deploy/pipeline.yaml'],
    ['a doubled slash', 'deploy//pipeline.yaml'],
    [
      'a symlink into the folder',
      'live/pipeline.yaml',
      (r) => symlinkSync('deploy', join(r.workspace, 'live')),
    ],
  ];
  for (const [name, path, setup] of writes) {
    it(`fs.write with ${name} (${path}) is held, and nothing is written`, async () => {
      const { r, status, call } = await attempt({ tool: 'fs.write', args: { path, content: 'x' } }, setup);
      assert.equal(status, 'escalated');
      assert.equal(call.decision, 'escalate');
      assert.match(call.reason, /escalation rule 0 \(high_impact\)/);
      assert.equal(existsSync(join(r.workspace, 'deploy', 'pipeline.yaml')), false);
    });
  }

  it('fs.delete of ./x/../prod.env is held by a rule on prod.env', async () => {
    const { status, call } = await attempt({ tool: 'fs.delete', args: { path: './x/../prod.env' } });
    assert.equal(status, 'escalated');
    assert.match(call.reason, /escalation rule 1/);
  });

  it('http.fetch of a URL spelt another way is held', async () => {
    const { status, call } = await attempt({
      tool: 'http.fetch',
      args: { url: 'HTTP://127.0.0.1:1/v1/./x/../ref%75nds' },
    });
    assert.equal(status, 'escalated');
    assert.match(call.reason, /escalation rule 2 \(money\)/);
  });

  it('a call outside every rule still runs', async () => {
    const { r, status, call } = await attempt({
      tool: 'fs.write',
      args: { path: './docs/../notes.txt', content: 'x' },
    });
    assert.equal(status, 'succeeded');
    assert.equal(call.decision, 'allow');
    assert.ok(existsSync(join(r.workspace, 'notes.txt')));
  });
});

/** Runs one coerce.pay call with `amount` under a rule `amount gt 100`, at full autonomy. */
async function pay(amount: unknown) {
  const r = writeTestRole({
    autonomy: 'full',
    tools: ['coerce.pay'],
    turns: [{ call: 'coerce.pay', args: { amount } }, { final: { summary: 'done' } }],
    escalation: [{ category: 'money', when: { tool: 'coerce.pay', arg: 'amount', gt: 100 } }],
    ledgerTools: false,
    extra: { toolModules: [fixtures('tools', 'coerce.ts')] },
  });
  made.push(r);
  const rt = await createRuntime({ dataDir: r.dataDir });
  try {
    return { r, status: (await rt.run(r.file, {})).status };
  } finally {
    await rt.close();
  }
}

describe('escalation rules match the arguments as the tool parsed them', () => {
  // before: a rule `amount gt 100` saw `[5000]` as given (not a number: no match) while the tool's
  // `z.coerce.number()` paid 5000, unasked.
  for (const amount of [[5000], '5e3', 5000]) {
    it(`holds coerce.pay with amount ${JSON.stringify(amount)}, and nothing is paid`, async () => {
      const { r, status } = await pay(amount);
      assert.equal(status, 'escalated');
      assert.equal(r.exists('ledger.txt'), false);
    });
  }

  it('lets a converted amount under the limit run', async () => {
    const { r, status } = await pay(true);
    assert.equal(status, 'succeeded');
    assert.equal(r.read('ledger.txt'), 'paid 1\n');
  });
});
