// Canonical JSON treats every key as data, `__proto__` included: the model's arguments arrive through
// JSON.parse, which makes `__proto__` an own property, and an approval must bind what is under it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { canonicalJson, hashJson } from '../src/canonical-json.js';
import { createRuntime } from '../src/runtime.js';
import { DATABASE_FILE } from '../src/store/sqlite/open.js';
import { type TestRole, writeTestRole } from './support/roles.js';

describe('canonical JSON', () => {
  it('keeps a __proto__ key as data', () => {
    const args = JSON.parse('{"b":1,"__proto__":{"amount":5}}');
    assert.equal(canonicalJson(args), '{"__proto__":{"amount":5},"b":1}');
  });

  it('hashes two argument objects that differ only under __proto__ differently', () => {
    const a = JSON.parse('{"to":"x","__proto__":{"amount":5}}');
    const b = JSON.parse('{"to":"x","__proto__":{"amount":5000}}');
    const bare = JSON.parse('{"to":"x"}');
    assert.notEqual(hashJson({ tool: 't', args: a }), hashJson({ tool: 't', args: b }));
    assert.notEqual(hashJson({ tool: 't', args: a }), hashJson({ tool: 't', args: bare }));
  });

  it('writes every value as the sorted copy through JSON.stringify does (stored hashes stay valid)', () => {
    // The reference: the canonical form as it was defined before the direct writer (a sorted copy with no
    // prototype, then JSON.stringify), which every stored argument hash and audit hash was made with.
    const sortKeys = (value: unknown): unknown => {
      if (Array.isArray(value)) return value.map(sortKeys);
      if (value !== null && typeof value === 'object') {
        const out: Record<string, unknown> = Object.create(null);
        for (const key of Object.keys(value).sort()) {
          const v = (value as Record<string, unknown>)[key];
          if (v !== undefined) out[key] = sortKeys(v);
        }
        return out;
      }
      return value;
    };
    class Point {
      constructor(
        readonly y: number,
        readonly x: number,
      ) {}
    }
    const values: unknown[] = [
      { b: 1, a: 'x', c: [1, 'two', null, true, false, { z: 0, y: -0 }] },
      { '10': 'ten', '9': 'nine', a: 1, '-1': 'minus', '01': 'zero-one', ' ': 'space' },
      { é: 1, e: 2, E: 3, '\u2028': 'line sep', 'quo"te': '\\back\nslash', emoji: '😀', lone: '\ud800' },
      { nan: Number.NaN, inf: Number.POSITIVE_INFINITY, big: 1e21, small: 1e-7, neg: -0 },
      [undefined, () => 1, Symbol('s'), 1],
      { f: () => 1, s: Symbol('s'), u: undefined, keep: 1 },
      new Array(3).fill(1, 0, 1).fill(3, 2), // [1, <hole>, 3]
      { at: new Date(0), when: { toJSON: () => 'custom' } },
      new Point(2, 1),
      { nested: { deeper: [{ b: [], a: {} }] } },
      Object.assign(Object.create(null), { b: 2, a: 1 }),
      JSON.parse('{"z":1,"__proto__":{"b":2,"a":[3]}}'),
      Object.assign([1, 2], { extra: 'ignored' }),
      'text',
      42,
      null,
      true,
      [],
      {},
    ];
    for (const value of values) assert.equal(canonicalJson(value), JSON.stringify(sortKeys(value)));
    assert.equal(canonicalJson(undefined), undefined);
  });

  it('is unchanged for objects without __proto__ (stored hashes stay valid)', () => {
    assert.equal(canonicalJson({ b: [1, { d: 2, c: undefined }], a: null }), '{"a":null,"b":[1,{"d":2}]}');
  });
});

describe('an approval binds what is under __proto__', () => {
  const made: TestRole[] = [];
  after(() => {
    for (const r of made) r.cleanup();
  });

  it('refuses to run a drafted call whose __proto__ part was changed after drafting', async () => {
    const r = writeTestRole({
      autonomy: 'draft',
      tools: ['notify.webhook'],
      ledgerTools: false,
      turns: [
        {
          call: 'notify.webhook',
          args: JSON.parse('{"target":"pager","event":"pay","payload":{"__proto__":{"amount":5}}}'),
        },
        { final: { summary: 'done' } },
      ],
      extra: {
        secrets: ['HOOK_SECRET'],
        notify: { webhooks: { pager: { url: 'http://127.0.0.1:9/hook', secret: 'HOOK_SECRET' } } },
      },
    });
    made.push(r);
    const rt = await createRuntime({ dataDir: r.dataDir, env: { ...process.env, HOOK_SECRET: 's' } });
    try {
      const paused = await rt.run(r.file, {});
      assert.equal(paused.status, 'awaiting_approval');
      // Someone with write access to the store changes the amount the human is about to approve.
      const db = new Database(join(r.dataDir, DATABASE_FILE));
      const changed = db
        .prepare(
          'UPDATE tool_calls SET args = replace(args, \'"amount":5\', \'"amount":5000\') WHERE tool = ?',
        )
        .run('notify.webhook');
      db.close();
      assert.equal(changed.changes, 1);
      await assert.rejects(rt.approve(paused.pending[0]!, { by: 'alice' }), { code: 'APPROVAL_MISMATCH' });
    } finally {
      await rt.close();
    }
  });
});
