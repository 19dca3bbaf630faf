// `nightshift validate` on webhook triggers: an unknown scheme, a missing secret, a secret not listed
// under secrets: and a tolerance on a scheme without timestamps are refused, each naming the file, the
// line and the field; the five schemes validate.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Role } from '../../../src/roles/schema.js';
import { looksLikeSecretName, secretNameForMessage } from '../../../src/secret-name.js';
import { unverifiableHooks } from '../../../src/server/run-log.js';
import { runCli } from '../../support/cli.js';
import { writeTestRole } from '../../support/roles.js';

const role = (triggers: unknown[]) =>
  writeTestRole({
    name: 'hooks',
    autonomy: 'full',
    tools: ['fs.list'],
    ledgerTools: false,
    turns: [{ final: {} }],
    extra: { secrets: ['HOOK_SECRET'], triggers },
  });

describe('validate: webhook triggers', () => {
  it('accepts each scheme, with toleranceSeconds where the scheme signs a timestamp', async () => {
    const r = role([
      { webhook: { path: 'a', secret: 'HOOK_SECRET' } },
      { webhook: { path: 'b', secret: 'HOOK_SECRET', scheme: 'github', input: 'envelope' } },
      { webhook: { path: 'c', secret: 'HOOK_SECRET', scheme: 'stripe', toleranceSeconds: 600 } },
      { webhook: { path: 'd', secret: 'HOOK_SECRET', scheme: 'slack' } },
      { webhook: { path: 'e', secret: 'HOOK_SECRET', scheme: 'standard', toleranceSeconds: 60 } },
      { webhook: { path: 'f', secret: 'HOOK_SECRET', scheme: 'nightshift' } },
    ]);
    const res = await runCli(['validate', r.file]);
    assert.equal(res.code, 0, res.stderr);
  });

  it('refuses an unknown scheme, a missing or unlisted secret and a misplaced tolerance, naming file and field', async () => {
    const r = role([
      { webhook: { path: 'a', secret: 'HOOK_SECRET', scheme: 'gitlab' } },
      { webhook: { path: 'b', scheme: 'github' } },
      { webhook: { path: 'd', secret: 'HOOK_SECRET', scheme: 'github', toleranceSeconds: 60 } },
    ]);
    const res = await runCli(['validate', r.file]);
    assert.notEqual(res.code, 0);
    const out = res.stderr + res.stdout;
    const where = (field: string) => new RegExp(`role\\.yaml:\\d+ ${field.replace(/[[\].]/g, '\\$&')}: `);
    assert.match(out, where('triggers[0].webhook.scheme'));
    assert.match(out, /expected one of nightshift\|github\|stripe\|slack\|standard, got 'gitlab'/);
    assert.match(out, where('triggers[1].webhook.secret'));
    assert.match(out, /triggers\[1\]\.webhook\.secret: required/);
    assert.match(out, /triggers\[2\]\.webhook\.toleranceSeconds: only for scheme stripe or standard/);
    // Secrets are checked against secrets: once the file's shape holds.
    const unlisted = role([{ webhook: { path: 'c', secret: 'OTHER_SECRET', scheme: 'stripe' } }]);
    const res2 = await runCli(['validate', unlisted.file]);
    assert.notEqual(res2.code, 0);
    assert.match(
      res2.stderr + res2.stdout,
      /role\.yaml:\d+ triggers\[0\]\.webhook\.secret: secret OTHER_SECRET is not listed under secrets:/,
    );
  });

  it("never repeats a secret pasted where its name belongs, in validate or in serve's start-up check", async () => {
    const pasted = 'whsec_3f9a1b2c4d5e6f70';
    const r = role([{ webhook: { path: 'zd', secret: pasted } }]);
    const res = await runCli(['validate', r.file]);
    assert.notEqual(res.code, 0);
    const out = res.stderr + res.stdout;
    assert.doesNotMatch(out, /3f9a1b2c/);
    assert.match(
      out,
      /triggers\[0\]\.webhook\.secret: secret \(not a valid secret name: a value of 22 characters/,
    );
    // A role whose secrets: lists the pasted value too: serve's "not set" check still hides it.
    const hook = { path: 'zd', role: 'r', secret: pasted };
    const loaded = { name: 'r', secretsFile: undefined, secrets: [pasted], triggers: [{ webhook: hook }] };
    const hooks = unverifiableHooks([loaded as unknown as Role], {});
    assert.equal(hooks.length, 1);
    assert.doesNotMatch(hooks[0]!.why, /3f9a1b2c/);
    // A name stays named.
    assert.equal(secretNameForMessage('ZENDESK_SECRET'), 'ZENDESK_SECRET');
    assert.equal(secretNameForMessage('http_proxy'), 'http_proxy');
    assert.equal(looksLikeSecretName('sk_live_4eC39HqLyjWDarjtT1zdp7dc'), false);
    assert.equal(looksLikeSecretName('xoxb-1234'), false);
  });
});
