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
