// Attacks from outside, through the real CLI as a child process: a scripted agent aims its tools' arguments
// past the role's bounds, and each case checks from outside (what a loopback server received, what the
// store recorded) that nothing got through.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, stringify } from 'yaml';
import { checkRepositoryConfig } from '../../src/tools/builtin/git-config-scan.js';
import { json, runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

const SECRET = 'tok-SECRET-5e1f0a9c';

interface Hit {
  method: string | undefined;
  url: string | undefined;
  body: string;
}

/** A loopback server recording every request, answering with `answer`. */
async function recorder(
  answer: (hit: Hit, res: import('node:http').ServerResponse) => void,
): Promise<{ srv: Server; port: number; hits: Hit[] }> {
  const hits: Hit[] = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      const hit = { method: req.method, url: req.url, body };
      hits.push(hit);
      answer(hit, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return { srv, port: (srv.address() as { port: number }).port, hits };
}

describe('http.fetch: a secret bound to one host, sent elsewhere by a redirect', () => {
  let elsewhere: Awaited<ReturnType<typeof recorder>>;
  let bound: Awaited<ReturnType<typeof recorder>>;
  before(async () => {
    elsewhere = await recorder((_hit, res) => res.end('got it'));
    // The host the secret is bound to redirects (an open redirect, a moved endpoint) to another allowed host.
    bound = await recorder((hit, res) =>
      res
        .writeHead(Number(hit.url!.slice(1)), { location: `http://localhost:${elsewhere.port}/steal` })
        .end(),
    );
  });
  after(() => {
    elsewhere.srv.close();
    bound.srv.close();
  });

  for (const status of [301, 302, 307, 308]) {
    it(`a GET whose body holds the secret is not sent on by a ${status} to another origin`, async () => {
      const r = writeTestRole({
        autonomy: 'full',
        tools: ['http.fetch'],
        ledgerTools: false,
        turns: [
          {
            call: 'http.fetch',
            args: {
              url: `http://127.0.0.1:${bound.port}/${status}`,
              method: 'GET',
              body: 'token={{secret:API_TOKEN}}',
            },
          },
          { final: { summary: 'done' } },
        ],
        extra: {
          secrets: ['API_TOKEN'],
          scope: {
            hosts: [
              { host: '127.0.0.1', secrets: ['API_TOKEN'] },
              { host: 'localhost', private: true },
            ],
          },
        },
      });
      const before = elsewhere.hits.length;
      const run = await runCli(['run', r.file, '--data-dir', r.dataDir, '--json'], {
        env: { API_TOKEN: SECRET },
      });
      const { runId } = json<{ runId: string }>(run);
      const shown = json<{ toolCalls: { status: string; result: { code?: string; error?: string } }[] }>(
        await runCli(['show', runId, '--data-dir', r.dataDir, '--json']),
      );
      // The bound host got the secret, as the role allows; the other host got nothing at all.
      assert.equal(bound.hits.at(-1)!.body, `token=${SECRET}`);
      assert.deepEqual(elsewhere.hits.slice(before), []);
      const call = shown.toolCalls[0]!;
      assert.equal(call.status, 'failed');
      assert.equal(call.result.code, 'SCOPE_VIOLATION');
      assert.match(call.result.error!, /would receive a secret in the body; not followed/);
    });
  }

  it('a POST turned into a GET by a 302 loses its body and is followed', async () => {
    const r = writeTestRole({
      autonomy: 'full',
      tools: ['http.fetch'],
      ledgerTools: false,
      turns: [
        {
          call: 'http.fetch',
          args: { url: `http://127.0.0.1:${bound.port}/302`, method: 'POST', body: '{{secret:API_TOKEN}}' },
        },
        { final: { summary: 'done' } },
      ],
      extra: {
        secrets: ['API_TOKEN'],
        scope: {
          hosts: [
            { host: '127.0.0.1', secrets: ['API_TOKEN'] },
            { host: 'localhost', private: true },
          ],
        },
      },
    });
    const before = elsewhere.hits.length;
    const run = await runCli(['run', r.file, '--data-dir', r.dataDir, '--json'], {
      env: { API_TOKEN: SECRET },
    });
    assert.equal(json<{ status: string }>(run).status, 'succeeded');
    assert.deepEqual(elsewhere.hits.slice(before), [{ method: 'GET', url: '/steal', body: '' }]);
  });
});

describe('promote: a version that frees a secret widens authority, though no list grew', () => {
  // v1 binds API_TOKEN to 127.0.0.1 and keeps HOOK_SECRET for its webhook trigger: http.fetch sends the
  // first nowhere else and the second nowhere at all. A version that drops the binding entry and the trigger
  // but still declares both secrets lets the model send them to any allowed host.
  const v1 = {
    secrets: ['API_TOKEN', 'HOOK_SECRET'],
    triggers: [{ webhook: { path: 'bound', secret: 'HOOK_SECRET' } }],
    scope: {
      hosts: [
        { host: '127.0.0.1', secrets: ['API_TOKEN'] },
        { host: 'localhost', private: true },
      ],
    },
  };
  const versionOf = async (r: ReturnType<typeof writeTestRole>, role: Record<string, unknown>) => {
    writeFileSync(r.file, stringify({ ...parse(readFileSync(r.file, 'utf8')), ...role }));
    const listed = await runCli(['versions', r.file, '--data-dir', r.dataDir, '--json'], { cwd: r.dir });
    return json<{ versions: { version: string }[] }>(listed).versions[0]!.version;
  };
  const promoteAsAlice = async (r: ReturnType<typeof writeTestRole>, version: string) =>
    json<{ outcome: string; promotion: { id: string; widening: string[] } }>(
      await runCli(['promote', 'bound', version, '--as', 'alice', '--data-dir', r.dataDir, '--json'], {
        cwd: r.dir,
      }),
    );

  it('waits for a person, naming each freed secret; dropping the secret with its binding does not', async () => {
    const r = writeTestRole({
      name: 'bound',
      autonomy: 'full',
      tools: ['http.fetch'],
      ledgerTools: false,
      turns: [{ final: { summary: 'done' } }],
      extra: v1,
    });
    writeFileSync(
      join(r.dir, 'nightshift.config.yaml'),
      stringify({ people: [{ name: 'alice', decides: ['*'] }] }),
    );
    const first = await promoteAsAlice(r, await versionOf(r, {}));
    const granted = await runCli(['approve', first.promotion.id, '--as', 'alice', '--data-dir', r.dataDir], {
      cwd: r.dir,
    });
    assert.equal(granted.code, 0, granted.stderr);

    const freed = await promoteAsAlice(
      r,
      await versionOf(r, { triggers: [], scope: { hosts: [{ host: 'localhost', private: true }] } }),
    );
    assert.equal(freed.outcome, 'pending');
    assert.deepEqual(freed.promotion.widening, [
      'scope.hosts: secret API_TOKEN is no longer bound to 127.0.0.1: http.fetch may send it to any allowed host',
      'triggers: secret HOOK_SECRET no longer verifies a webhook trigger, and the role still declares it: http.fetch may send it',
    ]);

    // Narrower indeed: the secrets go with their binding and trigger, and an unbound host entry goes too.
    const narrower = await promoteAsAlice(
      r,
      await versionOf(r, { secrets: [], triggers: [], scope: { hosts: [] } }),
    );
    assert.equal(narrower.outcome, 'promoted', JSON.stringify(narrower.promotion.widening));
  });
});

describe('shell.exec git: repository keys that name a program git runs', () => {
  // Each was set with the role's own allowlisted `git config` and then ran, inside the sandbox, a program
  // the allowlist never named (and, with unsandboxedExec, outside it): docs/tools.md promises such keys
  // refuse the call.
  const programKeys: [string, string][] = [
    ['trailer.x.command', 'touch pwned'],
    ['trailer.x.cmd', 'touch pwned'],
    ['man.foo.cmd', 'touch pwned'],
    ['man.foo.path', '/tmp/pwned'],
    ['browser.bar.cmd', 'touch pwned'],
    ['browser.bar.path', '/tmp/pwned'],
    ['man.viewer', 'foo'],
    ['help.browser', 'bar'],
    ['web.browser', 'bar'],
    ['interactive.diffFilter', 'touch pwned'],
    ['guitool.t.cmd', 'touch pwned'],
    ['submodule.s.update', '!touch pwned'],
  ];
  const repoWith = (key: string, value: string) => {
    const dir = tempDir('nightshift-gitkeys-');
    execFileSync('git', ['init', '-q', dir.path]);
    execFileSync('git', ['-C', dir.path, 'config', key, value]);
    return dir;
  };

  it('the configuration scan refuses each, naming the key; their harmless kin still pass', async () => {
    for (const [key, value] of programKeys) {
      const dir = repoWith(key, value);
      try {
        const verdict = await checkRepositoryConfig('/usr/bin/git', dir.path);
        assert.equal(verdict.ok, false, key);
        assert.match(verdict.reason!, new RegExp(`sets '${key.toLowerCase().replace(/\./g, '\\.')}'`));
      } finally {
        dir.cleanup();
      }
    }
    for (const [key, value] of [
      ['submodule.s.update', 'rebase'],
      ['trailer.x.key', 'Signed-off-by'],
      ['help.format', 'html'],
    ] as const) {
      const dir = repoWith(key, value);
      try {
        assert.deepEqual(await checkRepositoryConfig('/usr/bin/git', dir.path), { ok: true }, key);
      } finally {
        dir.cleanup();
      }
    }
  });

  it('a run whose repository names a trailer command and a man viewer runs neither', async () => {
    const r = writeTestRole({
      autonomy: 'full',
      tools: ['shell.exec'],
      ledgerTools: false,
      turns: [
        {
          call: 'shell.exec',
          args: { command: 'git', args: ['interpret-trailers', '--trailer', 'x=1'], stdin: 'subject\n' },
        },
        { call: 'shell.exec', args: { command: 'git', args: ['help', '-m', 'log'] } },
        { final: { summary: 'done' } },
      ],
      extra: { scope: { commands: ['git'] } },
    });
    // What the role's own `git config` calls wrote (they pass: the keys are not set yet when they run).
    execFileSync('git', ['init', '-q', r.workspace]);
    execFileSync('git', ['-C', r.workspace, 'config', 'trailer.x.command', 'touch pwned-trailer']);
    execFileSync('git', ['-C', r.workspace, 'config', 'man.viewer', 'foo']);
    execFileSync('git', ['-C', r.workspace, 'config', 'man.foo.cmd', 'touch pwned-man']);
    const run = await runCli(['run', r.file, '--data-dir', r.dataDir, '--json']);
    const { runId } = json<{ runId: string }>(run);
    const shown = json<{ toolCalls: { decision: string; reason: string }[] }>(
      await runCli(['show', runId, '--data-dir', r.dataDir, '--json']),
    );
    assert.deepEqual(
      shown.toolCalls.map((c) => c.decision),
      ['deny', 'deny'],
    );
    assert.match(shown.toolCalls[0]!.reason, /the repository's configuration sets 'trailer\./);
    // `git help` is refused before the repository is read: git's manual starts a viewer whatever it names.
    assert.match(shown.toolCalls[1]!.reason, /argument 0 "help": git's manual would start a viewer/);
    assert.deepEqual(
      readdirSync(r.workspace).filter((f) => f.startsWith('pwned')),
      [],
    );
  });
});
