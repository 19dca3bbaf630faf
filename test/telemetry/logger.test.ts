// The log serve writes (telemetry/logger.ts), through the real pino logger to a real file: Authorization
// and Cookie headers and API-key fields are censored, nightshift tokens are cut to their prefix wherever
// they appear, and a configured secret's value quoted in a message, a field, an error or a child logger's
// bindings is replaced; what is not secret is kept. serve feeds it the roles' and channels' secret values.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { loadRoleFile } from '../../src/roles/load.js';
import { serveSecretValues } from '../../src/server/serve.js';
import { createLogger } from '../../src/telemetry/logger.js';
import { testRoles } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const role = testRoles();

const TOKEN = `nst_${'A'.repeat(43)}`;
const SESSION = `nss_${'b'.repeat(43)}`;
const ROLE_SECRET = 'whsec-role-value-7c21';
const API_KEY = 'sk-ant-logger-test-4f0e9';
const SIGNING = 'slack-signing-value-88aa';

describe('the runtime logger', () => {
  it('never writes a secret, whichever road it takes into a line', async () => {
    const dir = tempDir('nightshift-logger-');
    const file = join(dir.path, 'serve.log');
    const destination = pino.destination({ dest: file, sync: true });
    const log = createLogger({ name: 'nightshift', secrets: [ROLE_SECRET, API_KEY, SIGNING], destination });
    try {
      log.info(
        {
          req: {
            method: 'POST',
            headers: { authorization: `Bearer ${TOKEN}`, cookie: `__Host-ns=${SESSION}` },
          },
        },
        'request received',
      );
      log.warn({ authorization: `Bearer ${TOKEN}`, apiKey: API_KEY, hook: 'orders' }, 'webhook refused');
      log.error({ err: new Error(`provider said: key ${API_KEY} is invalid`) }, 'model call failed');
      log.error(new Error(`signature with ${SIGNING} did not match`));
      log.info(`delivery signed with ${ROLE_SECRET}; token ${TOKEN}`);
      log.info(
        { nested: { deeper: { note: `used ${TOKEN} and ${ROLE_SECRET}` } }, list: [SESSION] },
        'nested',
      );
      log.child({ channel: `slack ${SIGNING}` }).info('child line');
      destination.flushSync();
      const text = readFileSync(file, 'utf8');
      for (const secret of [TOKEN, SESSION, ROLE_SECRET, API_KEY, SIGNING, TOKEN.slice(4), SESSION.slice(4)])
        assert.ok(!text.includes(secret), `${secret.slice(0, 12)}… appears in the log:\n${text}`);
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 7);
      // What is not secret is kept, and the reader can see what was taken out.
      assert.equal((lines[0]!.req as { method: string }).method, 'POST');
      assert.equal(
        (lines[0]!.req as { headers: { authorization: string } }).headers.authorization,
        '[redacted]',
      );
      assert.equal(lines[1]!.hook, 'orders');
      assert.equal(lines[1]!.apiKey, '[redacted]');
      assert.match(
        (lines[2]!.err as { message: string }).message,
        /provider said: key \[secret\] is invalid/,
      );
      assert.equal(lines[3]!.msg, 'signature with [secret] did not match');
      assert.equal(lines[4]!.msg, 'delivery signed with [secret]; token nst_…');
      assert.equal(lines[6]!.channel, 'slack [secret]');
    } finally {
      dir.cleanup();
    }
  });

  it("serve scrubs its roles' declared secrets and environment variables named like secrets", async () => {
    const r = role({
      name: 'log-secrets',
      autonomy: 'full',
      turns: [{ final: {} }],
      extra: { secrets: ['HOOK_SECRET'] },
    });
    const values = serveSecretValues(
      [await loadRoleFile(r.file)],
      { serve: {} } as Parameters<typeof serveSecretValues>[1],
      { HOOK_SECRET: ROLE_SECRET, ANTHROPIC_API_KEY: API_KEY, HOME: '/home/someone' },
    );
    assert.ok(values.includes(ROLE_SECRET));
    assert.ok(values.includes(API_KEY));
    assert.ok(!values.includes('/home/someone'));
  });
});
