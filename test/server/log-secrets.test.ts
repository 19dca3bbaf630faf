// What serve keeps out of its log, through the real pino logger to a real file: its specialists' secrets
// (at any depth), the secrets of a role version promoted while it runs, and a decision link's token or a
// credential-like query value in the path of a failed request.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { parse, stringify } from 'yaml';
import { loadRoleFile } from '../../src/roles/load.js';
import { createRuntime } from '../../src/runtime.js';
import { startDaemon } from '../../src/server/daemon.js';
import { answerFailure } from '../../src/server/failure-answer.js';
import { serveSecretValues } from '../../src/server/serve.js';
import { createLogger, LogSecrets } from '../../src/telemetry/logger.js';
import { json, runCli } from '../support/cli.js';
import { TASK_INPUT, writeRoleTree } from '../support/delegation.js';
import { writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';
import { waitFor } from '../support/wait.js';

// Named so the environment rule (names like *_SECRET, *_TOKEN) does not catch them: only the roles' own
// declarations can put them on the scrub list.
const MID_VALUE = 'mid-specialist-value-31d7';
const LEAF_VALUE = 'leaf-specialist-value-9a02';
const PROMOTED_VALUE = 'promoted-version-value-c4e8';
const MCP_FILE_VALUE = 'mcp-file-value-58b1e0';

function fileLogger(secrets: LogSecrets) {
  const dir = tempDir('nightshift-log-secrets-');
  const file = join(dir.path, 'serve.log');
  const destination = pino.destination({ dest: file, sync: true });
  return {
    log: createLogger({ name: 'nightshift', secrets, destination }),
    read: () => readFileSync(file, 'utf8'),
  };
}

describe('serve log secrets', () => {
  it("scrubs the secrets of the roles' specialists, and of theirs", async () => {
    const tree = writeRoleTree([
      { name: 'lead', autonomy: 'full', turns: [{ final: {} }], specialists: ['mid'] },
      {
        name: 'mid',
        autonomy: 'full',
        turns: [{ final: {} }],
        specialists: ['leaf'],
        input: TASK_INPUT,
        extra: { secrets: ['MID_CREDENTIAL'] },
      },
      {
        name: 'leaf',
        autonomy: 'full',
        turns: [{ final: {} }],
        input: TASK_INPUT,
        extra: { secrets: ['LEAF_CREDENTIAL'] },
      },
    ]);
    const env = { MID_CREDENTIAL: MID_VALUE, LEAF_CREDENTIAL: LEAF_VALUE };
    const values = serveSecretValues(
      [await loadRoleFile(tree.file('lead'))],
      { serve: {} } as Parameters<typeof serveSecretValues>[1],
      env,
    );
    const { log, read } = fileLogger(new LogSecrets(values));
    log.error({ detail: `tried ${MID_VALUE} and ${LEAF_VALUE}` }, 'a failure quoting secrets');
    const text = read();
    assert.doesNotMatch(text, new RegExp(`${MID_VALUE}|${LEAF_VALUE}`));
    assert.match(text, /tried \[secret\] and \[secret\]/);
  });

  it('scrubs what a role hands its MCP servers from its secrets file, not only from the environment', async () => {
    const r = writeTestRole({
      name: 'mcp-file-secret',
      autonomy: 'full',
      turns: [{ final: {} }],
      ledgerTools: false,
    });
    writeFileSync(join(r.dir, 'secrets.env'), `NOTES_CREDENTIAL=${MCP_FILE_VALUE}\n`);
    const doc = parse(readFileSync(r.file, 'utf8')) as Record<string, unknown>;
    doc.secretsFile = './secrets.env';
    doc.mcp = [
      {
        name: 'notes',
        command: ['node', 'server.mjs'],
        tools: { search: 'read' },
        env: ['NOTES_CREDENTIAL'],
      },
    ];
    writeFileSync(r.file, stringify(doc));
    // Only the file has it (an MCP server's start-up crash quoting it reaches serve's log in TOOL_FAILED).
    const values = serveSecretValues(
      [await loadRoleFile(r.file)],
      { serve: {} } as Parameters<typeof serveSecretValues>[1],
      {},
    );
    const { log, read } = fileLogger(new LogSecrets(values));
    log.error({ detail: `auth failed with token ${MCP_FILE_VALUE}` }, 'an MCP server did not start');
    const text = read();
    assert.ok(!text.includes(MCP_FILE_VALUE), text);
    assert.match(text, /auth failed with token \[secret\]/);
  });

  it("adds a promoted version's secrets while the daemon runs", async () => {
    const r = writeTestRole({
      name: 'promo-secret',
      autonomy: 'full',
      turns: [{ final: {} }],
      ledgerTools: false,
    });
    const env = { BILLING_CREDENTIAL: PROMOTED_VALUE };
    const rt = await createRuntime({ dataDir: r.dataDir, env });
    const secrets = new LogSecrets([]);
    const { log, read } = fileLogger(secrets);
    const v1 = await loadRoleFile(r.file);
    const daemon = await startDaemon({
      runtime: rt,
      roles: [v1],
      host: '127.0.0.1',
      port: 0,
      concurrency: 1,
      pollMs: 20,
      env,
      log,
      logSecrets: secrets,
      triggersMs: 20,
    });
    try {
      // Version two declares a secret the file's version did not.
      const spec = parse(readFileSync(r.file, 'utf8'));
      writeFileSync(r.file, stringify({ ...spec, secrets: ['BILLING_CREDENTIAL'] }));
      const data = ['--data-dir', r.dataDir];
      const listed = await runCli(['versions', r.file, '--json', ...data], { env });
      assert.equal(listed.code, 0, listed.stderr);
      const v2 = json<{ versions: { version: string }[] }>(listed).versions.find(
        (v) => v.version !== v1.version,
      )!.version;
      const promoted = await runCli(
        ['promote', 'promo-secret', v2, '--as', 'alice', '--evidence', 'eval ev_1', ...data],
        { env },
      );
      // A first promotion (and a new secret) waits for a person: granted as one.
      const waiting = /nightshift approve (prm_\w+)/.exec(`${promoted.stdout}${promoted.stderr}`)?.[1];
      if (waiting) {
        const granted = await runCli(['approve', waiting, '--as', 'alice', ...data], { env });
        assert.equal(granted.code, 0, `${granted.stdout}\n${granted.stderr}`);
      } else assert.equal(promoted.code, 0, `${promoted.stdout}\n${promoted.stderr}`);
      await waitFor(async () => (read().includes('active versions changed') ? true : undefined), 'the swap');
      log.error({ detail: `the tool said ${PROMOTED_VALUE}` }, 'a failure quoting the new secret');
      assert.doesNotMatch(read(), new RegExp(PROMOTED_VALUE));
      assert.match(read(), /the tool said \[secret\]/);
    } finally {
      await daemon.close(0);
      await rt.close();
      r.cleanup();
    }
  });

  it('censors secret keys and headers in any case, on the fast path, the redactor path and child bindings', () => {
    const { log, read } = fileLogger(new LogSecrets([]));
    // Headers alone (nothing pino's exact paths name): the fast path writes the line.
    log.info(
      { req: { headers: { Authorization: 'Bearer fold-a1', COOKIE: 'sid=fold-a2', Host: 'h' } } },
      'l1',
    );
    // An exact-case key beside them sends the value through pino's redactor.
    log.info(
      {
        call: { token: 'exact-t', Token: 'fold-a3', APIKEY: 'fold-a4', headers: { 'X-Api-Key': 'fold-a5' } },
      },
      'l2',
    );
    log.warn(
      {
        Authorization: 'Bearer fold-a6',
        PassWord: 'fold-a7',
        res: { Headers: { authorization: 'fold-a8', 'Set-Cookie': 'fold-a9' } },
      },
      'l3',
    );
    const child = log.child({ Cookie: 'fold-b1', conn: { Authorization: 'fold-b2' } });
    child.child({ ApiKey: 'fold-b3' }).info({ x: { headers: { cookie: 'exact-c' } } }, 'l4');
    const text = read();
    assert.doesNotMatch(text, /fold-|exact-/, text);
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown);
    const at = (line: number, ...keys: string[]) =>
      keys.reduce<unknown>((v, k) => (v as Record<string, unknown>)[k], lines[line]);
    assert.equal(at(0, 'req', 'headers', 'Authorization'), '[redacted]');
    assert.equal(at(0, 'req', 'headers', 'Host'), 'h');
    assert.deepEqual(at(1, 'call'), {
      token: '[redacted]',
      Token: '[redacted]',
      APIKEY: '[redacted]',
      headers: { 'X-Api-Key': '[redacted]' },
    });
    assert.equal(at(2, 'res', 'Headers', 'Set-Cookie'), '[redacted]');
    assert.equal(at(3, 'conn', 'Authorization'), '[redacted]');
    assert.equal(at(3, 'ApiKey'), '[redacted]');
  });

  it('writes no raw C1, bidi or DEL character a terminal would act on, and the same JSON value', () => {
    const { log, read } = fileLogger(new LogSecrets([]));
    const detail = 'model said \u009b2J\u001b]52;c;eA==\u0007 \u202eexe.pdf \u007f\u2028end';
    log.error({ detail }, 'a run failed \u009b1A');
    const text = read();
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is looked for
    assert.doesNotMatch(text, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029]/u);
    const line = JSON.parse(text) as { detail: string; msg: string };
    assert.equal(line.detail, detail);
    assert.equal(line.msg, 'a run failed \u009b1A');
  });

  it("logs a failed request's path without a decision link's token or credential-like query values", async () => {
    const { log, read } = fileLogger(new LogSecrets([]));
    const server = createServer((req, res) => answerFailure(req, res, new Error('broken'), { log }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const link = 'v1.eyJpZCI6ImFwcF8xIn0.c2lnbmF0dXJlLXZhbHVl';
      const res = await fetch(
        `http://127.0.0.1:${port}/decide/${link}?token=q-token-value&page=2&sig=abcdef123`,
      );
      assert.equal(res.status, 500);
      const text = read();
      assert.doesNotMatch(text, /eyJpZCI6|q-token-value|abcdef123/);
      assert.match(text, /"path":"\/decide\/\[redacted\]\?token=\[redacted\]&page=2&sig=\[redacted\]"/);
    } finally {
      server.close();
    }
  });
});
