// Escalation rules on a tool's result: the same condition language as rules on arguments, applied to the
// result's JSON; checked only once a result exists, never when the call is decided; refused at validation
// with the path and what is wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RoleInvalidError } from '../../src/errors.js';
import { type Condition, defineRole } from '../../src/index.js';
import { decide, inputEscalations, type PolicyInput, resultEscalation } from '../../src/policy/decide.js';
import { type EscalationRule, matches } from '../../src/roles/conditions.js';
import { ruleMoment } from '../../src/roles/rule-moments.js';

const check = { tool: 'monitor.check', args: { host: 'db1' } };

function held(rules: EscalationRule[], result: unknown, call = check) {
  return resultEscalation(rules, { call, input: { ticket: 'T-1' }, result });
}

describe('result conditions', () => {
  const table: [string, Condition, unknown, boolean][] = [
    [
      'a number over a threshold at a path',
      { result: { tool: 'monitor.check', path: 'disk.usedPct', gt: 90 } },
      { disk: { usedPct: 97 } },
      true,
    ],
    [
      'the same threshold not reached',
      { result: { tool: 'monitor.check', path: 'disk.usedPct', gt: 90 } },
      { disk: { usedPct: 40 } },
      false,
    ],
    [
      'eq on a severity',
      { result: { tool: 'monitor.check', path: 'severity', eq: 'critical' } },
      { severity: 'critical' },
      true,
    ],
    [
      'contains anywhere in the whole result (no path), case-insensitive',
      { result: { tool: 'monitor.check', contains: ['DATA LOSS'] } },
      { lines: ['ok', 'possible data loss on sdb'] },
      true,
    ],
    [
      'matches a regular expression on a string at a path',
      { result: { tool: 'monitor.check', path: 'stdout', matches: 'data\\s+loss' } },
      { stdout: 'warning: data   loss\n' },
      true,
    ],
    ['another tool', { result: { tool: 'other.tool', contains: 'loss' } }, { stdout: 'data loss' }, false],
    [
      'exists: a missing field',
      { result: { tool: 'monitor.check', path: 'alerts', exists: true } },
      { ok: true },
      false,
    ],
    [
      'a list of tools and an in-list',
      { result: { tool: ['x.y', 'monitor.check'], path: 'state', in: ['down', 'degraded'] } },
      { state: 'degraded' },
      true,
    ],
  ];
  for (const [name, when, result, expected] of table) {
    it(`${expected ? 'holds' : 'does not hold'}: ${name}`, () => {
      assert.equal(matches(when, { call: check, result: { value: result } }), expected);
      assert.equal(held([{ category: 'security', when }], result) !== undefined, expected);
    });
  }

  it('combines with argument and input conditions (checked together, once the result exists)', () => {
    const rule: EscalationRule = {
      category: 'security',
      reason: 'db hosts reporting loss',
      when: {
        all: [
          { tool: 'monitor.check', arg: 'host', matches: '^db' },
          { result: { tool: 'monitor.check', path: 'severity', eq: 'critical' } },
        ],
      },
    };
    assert.equal(ruleMoment(rule.when), 'result');
    const verdict = held([rule], { severity: 'critical' });
    assert.deepEqual(verdict?.rule, { index: 0, category: 'security' });
    assert.match(verdict!.reason, /rule 0 \(security\) matched the result of monitor\.check: db hosts/);
    assert.equal(
      held([rule], { severity: 'critical' }, { tool: 'monitor.check', args: { host: 'web1' } }),
      undefined,
    );
  });

  it('is false without a result, so it never holds a call before it ran', () => {
    const when: Condition = { result: { tool: 'monitor.check' } };
    assert.equal(matches(when, { call: check }), false);
  });

  it('the first matching result rule wins; call and input rules are not result rules', () => {
    const rules: EscalationRule[] = [
      { category: 'money', when: { tool: 'monitor.check' } },
      { category: 'legal', when: { input: { contains: 'T-1' } } },
      { category: 'privacy', when: { result: { tool: 'monitor.check', contains: 'ssn' } } },
      { category: 'security', when: { result: { tool: 'monitor.check', contains: 'ssn' } } },
    ];
    assert.deepEqual(held(rules, { note: 'SSN 123' })?.rule, { index: 2, category: 'privacy' });
    assert.equal(held(rules, { note: 'fine' }), undefined);
  });

  it('a rule its input part settles pauses the run at start, then holds only results its result part matches', () => {
    const rule: EscalationRule = {
      category: 'privacy',
      when: { any: [{ input: { contains: 'T-1' } }, { result: { tool: 'monitor.check', contains: 'ssn' } }] },
    };
    assert.equal(inputEscalations([rule], { ticket: 'T-1' }).length, 1);
    assert.equal(held([rule], { note: 'fine' }), undefined);
    assert.deepEqual(held([rule], { note: 'SSN 123' })?.rule, { index: 0, category: 'privacy' });
  });
});

describe('decide ignores rules on results', () => {
  const base: PolicyInput = {
    autonomy: 'full',
    roleTools: ['monitor.check'],
    call: check,
    tool: { effect: 'read', approval: 'policy' },
    argsError: undefined,
    scope: { kind: 'unscoped' },
    escalation: [],
  };
  it('a negated result condition does not hold every call before it runs', () => {
    const escalation: EscalationRule[] = [
      { category: 'security', when: { not: { result: { tool: 'monitor.check', eq: 'ok' } } } },
      {
        category: 'security',
        when: { any: [{ result: { tool: 'monitor.check' } }, { tool: 'nothing.here' }] },
      },
    ];
    assert.equal(decide({ ...base, escalation }).decision, 'allow');
    assert.equal(ruleMoment(escalation[0]!.when), 'result');
  });
});

describe('validation of result rules', () => {
  const role = {
    name: 'ops',
    description: 'watches hosts',
    autonomy: 'full',
    model: 'anthropic:claude-sonnet-4-5',
    instructions: 'x',
  } as const;
  function issues(when: unknown) {
    try {
      defineRole({ ...role, escalation: [{ category: 'security', when: when as Condition }] });
    } catch (err) {
      assert.ok(err instanceof RoleInvalidError, String(err));
      return err.issues.map((i) => `${i.path}: ${i.message}`);
    }
    assert.fail('the rule was accepted');
  }

  it('names a misspelt operator, a missing tool and a wrong operator type by their path', () => {
    assert.ok(
      issues({ result: { tool: 'monitor.check', path: 'x', gtt: 3 } }).some((m) =>
        /escalation\[0\]\.when\.result\.gtt: unknown key 'gtt' \(did you mean 'gt'\?\)/.test(m),
      ),
    );
    assert.ok(
      issues({ result: { path: 'severity', eq: 'critical' } }).some((m) =>
        /escalation\[0\]\.when\.result\.tool: required/.test(m),
      ),
    );
    assert.ok(
      issues({ result: { tool: 'monitor.check', gt: 'ninety' } }).some((m) =>
        /escalation\[0\]\.when\.result\.gt: expected number, got string/.test(m),
      ),
      String(issues({ result: { tool: 'monitor.check', gt: 'ninety' } })),
    );
  });

  it('refuses a regular expression that does not compile, at its path', () => {
    assert.ok(
      issues({ all: [{ result: { tool: 'monitor.check', matches: '(unclosed' } }] }).some((m) =>
        /escalation\[0\]\.when\.all\[0\]\.result\.matches: invalid regular expression/.test(m),
      ),
    );
  });
});
