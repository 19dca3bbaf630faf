// Authority widening, table-driven: what counts as wider (conservatively: anything not provably narrower),
// what is neutral, and what narrows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authorityWidening } from '../../src/versions/widening.js';

const base: Record<string, unknown> = {
  name: 'desk',
  version: 'aaaa',
  description: 'd',
  instructions: 'be careful',
  model: 'script:/a.yaml',
  autonomy: 'draft',
  tools: ['fs.read', 'fs.write'],
  toolModules: [],
  escalation: [{ when: { tool: 'refunds.issue', arg: 'amount', gt: 100 }, category: 'money' }],
  budget: { maxSteps: 25, maxCostUsd: 1, maxSeconds: 600, onExceed: 'escalate' },
  scope: { commands: [], env: [], network: false, hosts: [], unsandboxedExec: false },
  limits: { execSeconds: 30, execOutputBytes: 65536, fetchSeconds: 15, fetchBytes: 1048576 },
  secrets: [],
  triggers: [],
  emit: [],
  concurrency: 2,
};
const edit = (over: Record<string, unknown>) => ({ ...base, version: 'bbbb', ...over });

describe('authority widening', () => {
  const wider: [string, Record<string, unknown>, RegExp][] = [
    ['a higher rung', edit({ autonomy: 'full' }), /autonomy rises from draft to full/],
    ['a new tool', edit({ tools: ['fs.read', 'fs.write', 'shell.exec'] }), /tools: new shell.exec/],
    [
      'an escalation rule removed',
      edit({ escalation: [] }),
      /escalation rule 1 \(money\) removed or changed/,
    ],
    [
      'an escalation rule weakened (a higher threshold)',
      edit({ escalation: [{ when: { tool: 'refunds.issue', arg: 'amount', gt: 500 }, category: 'money' }] }),
      /escalation rule 1/,
    ],
    [
      'a higher step budget',
      edit({ budget: { ...(base.budget as object), maxSteps: 50 } }),
      /budget.maxSteps rises/,
    ],
    [
      'network access',
      edit({ scope: { ...(base.scope as object), network: true } }),
      /scope.network turned on/,
    ],
    [
      'a new host',
      edit({ scope: { ...(base.scope as object), hosts: ['api.example.com'] } }),
      /scope.hosts: new/,
    ],
    [
      'a longer exec limit',
      edit({ limits: { ...(base.limits as object), execSeconds: 60 } }),
      /limits.execSeconds rises/,
    ],
    ['no concurrency limit', edit({ concurrency: undefined }), /concurrency removed/],
    ['a new secret', edit({ secrets: ['STRIPE_KEY'] }), /secrets: new STRIPE_KEY/],
    ['a new trigger', edit({ triggers: [{ event: 'x' }] }), /triggers: new/],
    [
      'a changed workspace',
      edit({ workspace: '/elsewhere' }),
      /workspace changed \(not known to be narrower\)/,
    ],
    ['a key this code does not know', edit({ somethingNew: true }), /somethingNew changed/],
    [
      'tool modules (their code is not stored)',
      edit({ toolModules: ['/t.ts'] }),
      /tool modules may have changed/,
    ],
  ];
  for (const [what, candidate, reason] of wider) {
    it(`counts ${what} as wider`, () => {
      const out = authorityWidening(base, candidate);
      assert.ok(
        out.some((r) => reason.test(r)),
        `expected a reason matching ${reason}, got ${JSON.stringify(out)}`,
      );
    });
  }

  it('counts a daily cost cap removed as wider', () => {
    const capped = { ...base, budget: { ...(base.budget as object), maxCostUsdPerDay: 5 } };
    assert.match(authorityWidening(capped, edit({})).join(), /budget.maxCostUsdPerDay removed/);
  });

  it('counts a budget onExceed that goes from fail to escalate as wider, the other way as not', () => {
    const failing = { ...base, budget: { ...(base.budget as object), onExceed: 'fail' } };
    assert.match(authorityWidening(failing, edit({})).join(), /budget.onExceed/);
    assert.deepEqual(authorityWidening(base, { ...failing, version: 'cccc' }), []);
  });

  const neutral: [string, Record<string, unknown>][] = [
    ['new instructions', edit({ instructions: 'be even more careful' })],
    ['another model', edit({ model: 'script:/b.yaml' })],
    ['a new description and output schema', edit({ description: 'x', output: { type: 'object' } })],
    ['a lower rung', edit({ autonomy: 'observe' })],
    ['a tool removed', edit({ tools: ['fs.read'] })],
    [
      'an escalation rule added',
      edit({
        escalation: [
          ...(base.escalation as unknown[]),
          { when: { input: { contains: 'lawyer' } }, category: 'legal' },
        ],
      }),
    ],
    ['a lower budget', edit({ budget: { ...(base.budget as object), maxSteps: 5, maxCostUsd: 0.5 } })],
    ['a lower concurrency', edit({ concurrency: 1 })],
  ];
  for (const [what, candidate] of neutral)
    it(`does not count ${what} as wider`, () => {
      assert.deepEqual(authorityWidening(base, candidate), []);
    });

  it('finds nothing between a version and itself', () => {
    assert.deepEqual(authorityWidening(base, { ...base }), []);
  });
});
