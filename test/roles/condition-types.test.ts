// Escalation conditions are typed for defineRole: a misspelt key, a wrong operator type or an unknown
// category is a compile error, not only a RoleInvalidError at run time. The `@ts-expect-error` lines are
// the test: `npm run build` (tsc) fails if any of them stops being an error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Condition, defineRole, RoleInvalidError } from '../../src/index.js';

const base = {
  name: 'typed',
  description: 'typed conditions',
  autonomy: 'draft',
  model: 'anthropic:claude-sonnet-4-5',
  instructions: 'x',
} as const;

describe('escalation condition types', () => {
  it('accept every documented form', () => {
    const forms: Condition[] = [
      { tool: 'refunds.issue', arg: 'amount', gt: 100 },
      { tool: ['a.b', 'c.d'], arg: 'to', matches: '@example\\.com$' },
      { input: { contains: ['lawsuit', 'attorney'], missing: 'customer.id' } },
      { all: [{ tool: 'x.y' }, { not: { input: { matches: '(?i)test' } } }] },
      { any: [{ tool: 'x.y', arg: 'n', in: [1, 2, null] }] },
    ];
    const role = defineRole({
      ...base,
      // A condition may only name the role's own tools (any other call is denied before rules are read).
      tools: ['refunds.issue', 'a.b', 'c.d', 'x.y'],
      escalation: forms.map((when) => ({ category: 'money', when })),
    });
    assert.equal(role.escalation.length, forms.length);
  });

  it('reject misspelt keys at compile time, and at run time for untyped callers', () => {
    assert.throws(
      () =>
        defineRole({
          ...base,
          escalation: [
            // @ts-expect-error `greaterThan` is not an operator (gt is)
            { category: 'money', when: { tool: 'refunds.issue', arg: 'amount', greaterThan: 100 } },
          ],
        }),
      RoleInvalidError,
    );
    assert.throws(
      () =>
        defineRole({
          ...base,
          // @ts-expect-error gt compares numbers
          escalation: [{ category: 'money', when: { tool: 'refunds.issue', arg: 'amount', gt: '100' } }],
        }),
      RoleInvalidError,
    );
    assert.throws(
      () =>
        defineRole({
          ...base,
          // @ts-expect-error `contains` of an input condition lives under `input`
          escalation: [{ category: 'legal', when: { contains: 'lawsuit' } }],
        }),
      RoleInvalidError,
    );
    assert.throws(
      () =>
        defineRole({
          ...base,
          // @ts-expect-error not a category
          escalation: [{ category: 'finance', when: { tool: 'x.y' } }],
        }),
      RoleInvalidError,
    );
  });
});
