// `nightshift validate` refuses an escalation condition that can never mean anything (an empty value that
// holds for every value or for none, a combination of nothing), at its file and line, with its field and
// why (docs/roles.md, "Escalation conditions"); and a role name over 63 characters by its length.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../support/cli.js';
import { testRoles } from '../support/roles.js';

const role = testRoles();
const done = { final: { summary: 'done' } };

function roleFile(
  lines: string[],
  name = 'void-conditions',
): { file: string; lineOf: (text: string) => number } {
  const r = role({ autonomy: 'full', turns: [done], ledgerTools: false });
  const text = [
    `name: ${name}`,
    'description: a role with a condition that can never mean anything',
    'autonomy: full',
    'model: script:./script.yaml',
    'instructions: do it',
    'workspace: ./workspace',
    'tools: [fs.read, fs.write]',
    ...lines,
  ].join('\n');
  const file = join(r.dir, 'void.yaml');
  writeFileSync(file, `${text}\n`);
  const all = text.split('\n');
  return {
    file,
    lineOf: (t) => {
      const at = all.findIndex((l) => l.includes(t));
      assert.ok(at >= 0, `no line with ${t}`);
      return at + 1;
    },
  };
}

function literal(text: string): string {
  return text.replace(/[[\].*+?^${}()|\\]/g, '\\$&');
}

/** The void form, the condition written under `when:`, the line to find it at, its field, and why. */
const cases: [form: string, when: string[], line: string, field: string, why: RegExp][] = [
  [
    'input: {}',
    ['input: {}'],
    'input: {}',
    'when.input',
    /input: \{\} gives no check, so it can never be true/,
  ],
  [
    "contains: ''",
    ['tool: fs.write', 'arg: content', "contains: ''"],
    "contains: ''",
    'when.contains',
    /contains: '' is true of every value \(all text contains the empty text\); give the text to look for/,
  ],
  [
    "contains: [''] (an empty text in a list)",
    ['input:', "  contains: [lawsuit, '']"],
    'contains: [lawsuit',
    'when.input.contains[1]',
    /contains: '' is true of every value/,
  ],
  [
    "matches: ''",
    ['tool: fs.write', 'arg: path', "matches: ''"],
    "matches: ''",
    'when.matches',
    /matches: '' is true of every value \(the empty pattern matches any text\)/,
  ],
  [
    'in: []',
    ['tool: fs.write', 'arg: path', 'in: []'],
    'in: []',
    'when.in',
    /in: \[\] can never be true \(no value is in an empty list\); list at least one value/,
  ],
  ['all: []', ['all: []'], 'all: []', 'when.all', /all: \[\] checks nothing, so it is true of every call/],
  ['any: []', ['any: []'], 'any: []', 'when.any', /any: \[\] can never be true; list at least one condition/],
  [
    'missing: []',
    ['input:', '  missing: []'],
    'missing: []',
    'when.input.missing',
    /missing: \[\] names no field, so it can never be true/,
  ],
  ['tool: []', ['tool: []'], 'tool: []', 'when.tool', /tool: \[\] names no tool, so it can never be true/],
  [
    'tool: [] in a result condition, under not',
    ['not:', '  result:', '    tool: []', '    contains: loss'],
    'tool: []',
    'when.not.result.tool',
    /tool: \[\] names no tool/,
  ],
];

describe('validate: void escalation conditions', () => {
  for (const [form, when, line, field, why] of cases) {
    it(`refuses ${form} at its line, naming the field and why`, async () => {
      const { file, lineOf } = roleFile([
        'escalation:',
        '  - category: other',
        '    when:',
        ...when.map((l) => `      ${l}`),
      ]);
      const v = await runCli(['validate', file]);
      assert.equal(v.code, 2, v.stderr);
      assert.match(
        v.stderr,
        new RegExp(`void\\.yaml:${lineOf(line)} ${literal(`escalation[0].${field}`)}: `),
      );
      assert.match(v.stderr, why);
      // One problem, said once: not the other forms a condition can take, nor zod's "must not be empty".
      assert.equal(v.stderr.trim().split('\n').length, 1, v.stderr);
      assert.doesNotMatch(v.stderr, /must not be empty/);
    });
  }

  it('still loads the same conditions with something in them', async () => {
    const { file } = roleFile([
      'escalation:',
      '  - category: other',
      '    when:',
      '      all:',
      '        - { input: { contains: [lawsuit], missing: [ticket] } }',
      '        - { tool: [fs.write], arg: path, in: [a.txt], matches: x, contains: y }',
      '        - any: [{ not: { result: { tool: [fs.read], contains: [loss] } } }]',
    ]);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 0, v.stderr);
  });
});

describe('validate: a role name over 63 characters', () => {
  it('says the limit and the length found, not that a character is wrong', async () => {
    const long = `desk-${'a'.repeat(65)}`;
    const { file } = roleFile([], long);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 2, v.stderr);
    assert.match(v.stderr, /void\.yaml:1 name: expected at most 63 characters, got 70/);
    assert.doesNotMatch(v.stderr, /lowercase letters/);
  });

  it('a name of 63 characters is fine', async () => {
    const { file } = roleFile([], `desk-${'a'.repeat(58)}`);
    const v = await runCli(['validate', file]);
    assert.equal(v.code, 0, v.stderr);
  });
});
