import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decide, inputEscalations, type PolicyInput } from '../../src/policy/decide.js';
import { type Condition, type EscalationRule, matches } from '../../src/roles/conditions.js';
import type { Autonomy } from '../../src/roles/schema.js';
import type { Effect, ScopeVerdict } from '../../src/tools/types.js';

const inside: ScopeVerdict = { kind: 'inside' };
const unscoped: ScopeVerdict = { kind: 'unscoped' };
const outside: ScopeVerdict = { kind: 'outside', reason: "path '../x' leaves the workspace" };

function input(
  over: Partial<PolicyInput> & { effect?: Effect; approval?: 'policy' | 'always' },
): PolicyInput {
  const { effect = 'write', approval = 'policy', ...rest } = over;
  return {
    autonomy: 'full',
    roleTools: ['fs.read', 'fs.write', 'refunds.issue'],
    call: { tool: 'fs.write', args: { path: 'a.txt', content: 'x' } },
    tool: { effect, approval },
    argsError: undefined,
    scope: inside,
    escalation: [],
    ...rest,
  };
}

const refundRule: EscalationRule = {
  category: 'money',
  when: { tool: 'refunds.issue', arg: 'amount', gt: 100 },
};

describe('decide: the autonomy ladder', () => {
  const table: [string, Autonomy, Effect, ScopeVerdict, 'allow' | 'draft' | 'deny'][] = [
    ['observe runs a read tool', 'observe', 'read', inside, 'allow'],
    ['observe denies a write', 'observe', 'write', inside, 'deny'],
    ['observe denies an exec', 'observe', 'exec', inside, 'deny'],
    ['observe denies an external call', 'observe', 'external', unscoped, 'deny'],
    ['draft runs a read tool', 'draft', 'read', inside, 'allow'],
    ['draft drafts a write', 'draft', 'write', inside, 'draft'],
    ['draft drafts an external call', 'draft', 'external', unscoped, 'draft'],
    ['sandbox runs a write inside scope', 'sandbox', 'write', inside, 'allow'],
    ['sandbox denies an unscoped external call', 'sandbox', 'external', unscoped, 'deny'],
    ['sandbox runs an unscoped read', 'sandbox', 'read', unscoped, 'allow'],
    ['full runs an unscoped external call', 'full', 'external', unscoped, 'allow'],
    ['full runs a write inside scope', 'full', 'write', inside, 'allow'],
  ];
  for (const [name, autonomy, effect, scope, expected] of table) {
    it(name, () => {
      const d = decide(input({ autonomy, effect, scope }));
      assert.equal(d.decision, expected, d.reason);
      assert.ok(d.reason.length > 0);
    });
  }

  it('denies a call outside scope at every level, with the scope reason', () => {
    for (const autonomy of ['draft', 'sandbox', 'full'] as const) {
      const d = decide(input({ autonomy, scope: outside }));
      assert.equal(d.decision, 'deny');
      assert.match(d.reason, /leaves the workspace/);
    }
  });

  it('denies a tool the role does not list, even one the runtime knows', () => {
    const d = decide(input({ roleTools: ['fs.read'], call: { tool: 'fs.write', args: {} } }));
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /not in this role's tools/);
  });

  it('denies an unknown tool', () => {
    const d = decide(input({ call: { tool: 'nightshift.approve', args: {} }, tool: undefined }));
    assert.equal(d.decision, 'deny');
  });

  it('denies invalid arguments before anything else about the tool', () => {
    const d = decide(input({ argsError: 'path: Required' }));
    assert.equal(d.decision, 'deny');
    assert.match(d.reason, /invalid arguments for fs.write: path: Required/);
  });

  it('drafts a tool marked approval: always at every level that may run it', () => {
    for (const autonomy of ['draft', 'sandbox', 'full'] as const) {
      const d = decide(input({ autonomy, approval: 'always', effect: 'external', scope: inside }));
      assert.equal(d.decision, 'draft', `${autonomy}: ${d.reason}`);
    }
  });

  it('drafts an approval: always tool that declares no scope at sandbox too (rule 7 before rule 9)', () => {
    const d = decide(input({ autonomy: 'sandbox', approval: 'always', effect: 'external', scope: unscoped }));
    assert.equal(d.decision, 'draft', d.reason);
  });

  it('drafts a read tool marked approval: always at observe, and denies it outside its scope', () => {
    assert.equal(
      decide(input({ autonomy: 'observe', approval: 'always', effect: 'read' })).decision,
      'draft',
    );
    const d = decide(input({ autonomy: 'sandbox', approval: 'always', effect: 'external', scope: outside }));
    assert.equal(d.decision, 'deny');
  });

  it('still denies an approval: always write tool at observe', () => {
    assert.equal(decide(input({ autonomy: 'observe', approval: 'always' })).decision, 'deny');
  });

  it('denies an escalate call whose arguments fail its schema, at every level (rule 1)', () => {
    for (const autonomy of ['observe', 'draft', 'sandbox', 'full'] as const) {
      const d = decide(
        input({
          autonomy,
          roleTools: [],
          tool: undefined,
          call: { tool: 'escalate', args: { category: 'money' } },
          argsError: 'reason: Required',
        }),
      );
      assert.equal(d.decision, 'deny');
      assert.match(d.reason, /^invalid arguments for escalate: reason: Required/);
    }
  });

  it('treats the escalate tool as an escalation at every level', () => {
    for (const autonomy of ['observe', 'draft', 'sandbox', 'full'] as const) {
      const d = decide(
        input({ autonomy, roleTools: [], tool: undefined, call: { tool: 'escalate', args: {} } }),
      );
      assert.equal(d.decision, 'escalate');
    }
  });
});

describe('decide: escalation rules', () => {
  const refund = (amount: unknown) =>
    input({
      autonomy: 'full',
      effect: 'external',
      scope: unscoped,
      call: { tool: 'refunds.issue', args: { amount } },
      escalation: [refundRule],
    });

  it('escalates a refund over the limit, naming the rule and category', () => {
    const d = decide(refund(150));
    assert.equal(d.decision, 'escalate');
    assert.deepEqual(d.rule, { index: 0, category: 'money' });
  });

  it('lets a refund under the limit through', () => {
    assert.equal(decide(refund(100)).decision, 'allow');
    assert.equal(decide(refund(20)).decision, 'allow');
  });

  it('escalates before drafting, so a human with context decides', () => {
    const d = decide({ ...refund(500), autonomy: 'draft' });
    assert.equal(d.decision, 'escalate');
  });

  it('does not match a non-numeric amount against a numeric rule', () => {
    assert.equal(decide(refund('lots')).decision, 'allow');
  });

  it('combines conditions with all / any / not', () => {
    const rule: EscalationRule = {
      category: 'high_impact',
      when: {
        all: [
          { tool: 'fs.write', arg: 'path', matches: '^prod/' },
          { not: { tool: 'fs.write', arg: 'content', eq: '' } },
        ],
      },
    };
    const on = (path: string, content: string) =>
      decide(input({ escalation: [rule], call: { tool: 'fs.write', args: { path, content } } })).decision;
    assert.equal(on('prod/config', 'x'), 'escalate');
    assert.equal(on('prod/config', ''), 'allow');
    assert.equal(on('dev/config', 'x'), 'allow');
  });

  it('matches input rules by keyword and pattern, and only those', () => {
    const rules: EscalationRule[] = [
      { category: 'legal', when: { input: { contains: ['lawsuit', 'attorney'] } } },
      { category: 'privacy', when: { input: { matches: '\\b\\d{3}-\\d{2}-\\d{4}\\b' } } },
      { category: 'ambiguous', when: { input: { missing: 'ticket' } } },
      refundRule,
    ];
    assert.deepEqual(
      inputEscalations(rules, { ticket: 'T-1', body: 'My ATTORNEY will call' }).map((m) => m.rule.category),
      ['legal'],
    );
    assert.deepEqual(
      inputEscalations(rules, { ticket: 'T-2', body: 'ssn 123-45-6789' }).map((m) => m.rule.category),
      ['privacy'],
    );
    assert.deepEqual(
      inputEscalations(rules, { body: 'hello' }).map((m) => m.rule.category),
      ['ambiguous'],
    );
    assert.deepEqual(inputEscalations(rules, { ticket: 'T-3', body: 'hello' }), []);
  });
});

describe('decide: when a rule is checked (decision 076)', () => {
  const lawsuit = { ticket: 'T-1', body: 'I will file a lawsuit' };
  const plain = { ticket: 'T-2', body: 'where is my parcel' };
  const mentionsLawsuit: Condition = { input: { contains: 'lawsuit' } };
  /** What the rule does to a run with this input: paused at start, and the decision on each call after. */
  function timeline(when: Condition, runInput: unknown) {
    const rules: EscalationRule[] = [{ category: 'legal', when }];
    const at = (tool: string, args: unknown) =>
      decide(
        input({
          escalation: rules,
          input: runInput,
          call: { tool, args },
          effect: tool === 'fs.read' ? 'read' : 'write',
        }),
      ).decision;
    return {
      start: inputEscalations(rules, runInput).length > 0,
      read: at('fs.read', { path: 'a.txt' }),
      write: at('fs.write', { path: 'a.txt', content: 'x' }),
      smallRefund: at('refunds.issue', { amount: 20 }),
      bigRefund: at('refunds.issue', { amount: 500 }),
    };
  }
  const calm = { read: 'allow', write: 'allow', smallRefund: 'allow', bigRefund: 'allow' };

  it('pauses once at start for an input-only rule, and holds no call after', () => {
    assert.deepEqual(timeline(mentionsLawsuit, lawsuit), { start: true, ...calm });
    assert.deepEqual(timeline(mentionsLawsuit, plain), { start: false, ...calm });
  });

  it('pauses at start for a rule the input settles, then holds only the calls its call part matches', () => {
    // any: the input alone makes it true. Before, it was a call rule: not checked at start, and then every
    // call of the run matched it through its input part.
    const when: Condition = { any: [mentionsLawsuit, { tool: 'refunds.issue', arg: 'amount', gt: 100 }] };
    assert.deepEqual(timeline(when, lawsuit), { start: true, ...calm, bigRefund: 'escalate' });
    assert.deepEqual(timeline(when, plain), { start: false, ...calm, bigRefund: 'escalate' });
  });

  it('holds a mixed rule only at the call that makes it true, never at start', () => {
    const when: Condition = { all: [mentionsLawsuit, { tool: 'fs.write' }] };
    assert.deepEqual(timeline(when, lawsuit), { start: false, ...calm, write: 'escalate' });
    assert.deepEqual(timeline(when, plain), { start: false, ...calm });
  });

  it('reads a negated call part as the call making the rule true', () => {
    // Every call but a read, for a lawsuit: each such call is what makes it hold.
    const when: Condition = { all: [mentionsLawsuit, { not: { tool: 'fs.read' } }] };
    assert.deepEqual(timeline(when, lawsuit), {
      start: false,
      read: 'allow',
      write: 'escalate',
      smallRefund: 'escalate',
      bigRefund: 'escalate',
    });
    // Any input but a lawsuit, or any write: an input that is no lawsuit settles it, so the run pauses at
    // start and after that only a write (the call part on its own) is held.
    const unless: Condition = { any: [{ not: mentionsLawsuit }, { tool: 'fs.write' }] };
    assert.deepEqual(timeline(unless, plain), { start: true, ...calm, write: 'escalate' });
    assert.deepEqual(timeline(unless, lawsuit), { start: false, ...calm, write: 'escalate' });
  });

  it('leaves a call-only rule as it was: never at start, at each matching call', () => {
    assert.deepEqual(timeline(refundRule.when, lawsuit), { start: false, ...calm, bigRefund: 'escalate' });
    const everyButRead: Condition = { not: { tool: 'fs.read' } };
    assert.deepEqual(timeline(everyButRead, plain), {
      start: false,
      read: 'allow',
      write: 'escalate',
      smallRefund: 'escalate',
      bigRefund: 'escalate',
    });
  });

  it('loses no escalation: whatever holds a call is raised at start or at that call', () => {
    const atom = fc.constantFrom<Condition>(
      mentionsLawsuit,
      { input: { missing: 'ticket' } },
      { tool: 'fs.write' },
      { tool: 'refunds.issue', arg: 'amount', gt: 100 },
    );
    const { condition } = fc.letrec<{ condition: Condition }>((tie) => ({
      condition: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        atom,
        fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((all): Condition => ({ all })),
        fc.array(tie('condition'), { minLength: 1, maxLength: 3 }).map((any): Condition => ({ any })),
        tie('condition').map((not): Condition => ({ not })),
      ),
    }));
    const runInput = fc.constantFrom<unknown>(lawsuit, plain, { body: 'lawsuit, no ticket' }, { body: 'hi' });
    const call = fc.constantFrom(
      { tool: 'fs.read', args: { path: 'a' } },
      { tool: 'fs.write', args: { path: 'a', content: 'x' } },
      { tool: 'refunds.issue', args: { amount: 20 } },
      { tool: 'refunds.issue', args: { amount: 500 } },
    );
    fc.assert(
      fc.property(condition, runInput, call, (when, runInput, call) => {
        const rules: EscalationRule[] = [{ category: 'other', when }];
        if (!matches(when, { call, input: runInput })) return true;
        const atStart = inputEscalations(rules, runInput).length > 0;
        const atCall = decide(input({ escalation: rules, input: runInput, call })).decision === 'escalate';
        return atStart || atCall;
      }),
      { numRuns: 3000 },
    );
  });
});

describe('decide: properties', () => {
  const autonomy = fc.constantFrom<Autonomy>('observe', 'draft', 'sandbox', 'full');
  const effect = fc.constantFrom<Effect>('read', 'write', 'exec', 'external');
  const scope = fc.constantFrom<ScopeVerdict>(inside, unscoped, outside);
  const approval = fc.constantFrom<'policy' | 'always'>('policy', 'always');
  const toolName = fc.constantFrom('fs.read', 'fs.write', 'refunds.issue', 'shell.exec', 'escalate');
  const amount = fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string());
  const listed = fc.subarray(['fs.read', 'fs.write', 'refunds.issue', 'shell.exec']);
  const argsError = fc.option(fc.constant('bad'), { nil: undefined });
  const cases = fc.record({ autonomy, effect, scope, approval, toolName, amount, listed, argsError });

  it('never allows a non-read tool at observe', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const d = decide({
          autonomy: 'observe',
          roleTools: c.listed,
          call: { tool: c.toolName, args: { amount: c.amount } },
          tool: c.toolName === 'escalate' ? undefined : { effect: c.effect, approval: c.approval },
          argsError: c.argsError,
          scope: c.scope,
          escalation: [refundRule],
        });
        return !(d.decision === 'allow' && c.effect !== 'read');
      }),
      { numRuns: 2000 },
    );
  });

  it('never allows a non-read tool at draft, an out-of-scope call, an unlisted tool, or bad arguments', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const d = decide({
          autonomy: c.autonomy,
          roleTools: c.listed,
          call: { tool: c.toolName, args: { amount: c.amount } },
          tool: c.toolName === 'escalate' ? undefined : { effect: c.effect, approval: c.approval },
          argsError: c.argsError,
          scope: c.scope,
          escalation: [refundRule],
        });
        if (d.decision !== 'allow') return true;
        return (
          !(c.autonomy === 'draft' && c.effect !== 'read') &&
          c.scope.kind !== 'outside' &&
          c.listed.includes(c.toolName) &&
          c.argsError === undefined &&
          c.approval !== 'always' &&
          !(c.autonomy === 'sandbox' && c.effect !== 'read' && c.scope.kind !== 'inside')
        );
      }),
      { numRuns: 5000 },
    );
  });

  it('always gives a reason', () => {
    fc.assert(
      fc.property(cases, (c) => {
        const d = decide({
          autonomy: c.autonomy,
          roleTools: c.listed,
          call: { tool: c.toolName, args: { amount: c.amount } },
          tool: { effect: c.effect, approval: c.approval },
          argsError: c.argsError,
          scope: c.scope,
          escalation: [refundRule],
        });
        return typeof d.reason === 'string' && d.reason.length > 10;
      }),
    );
  });
});

describe('decide: rules cannot be padded past', () => {
  it('finds a keyword however far into a long argument it is, and treats an over-long regex subject as a match', () => {
    const contains: EscalationRule = {
      category: 'high_impact',
      when: { tool: 'fs.write', arg: 'content', contains: '--force' },
    };
    const regex: EscalationRule = {
      category: 'high_impact',
      when: { tool: 'fs.write', arg: 'content', matches: '^deploy' },
    };
    const padded = `${'a'.repeat(70_000)} --force`;
    assert.equal(
      decide(
        input({ escalation: [contains], call: { tool: 'fs.write', args: { path: 'x', content: padded } } }),
      ).decision,
      'escalate',
    );
    assert.equal(
      decide(
        input({
          escalation: [regex],
          call: { tool: 'fs.write', args: { path: 'x', content: 'a'.repeat(70_000) } },
        }),
      ).decision,
      'escalate',
    );
    assert.equal(
      decide(
        input({ escalation: [regex], call: { tool: 'fs.write', args: { path: 'x', content: 'hello' } } }),
      ).decision,
      'allow',
    );
  });
});
