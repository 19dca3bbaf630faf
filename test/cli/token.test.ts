// `nightshift token`: a token is printed once and stored hashed; list never shows a secret; a service never
// gets decide, a token names a configured person (or --service), scopes are a closed list; revoke is once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { json, runCli } from '../support/cli.js';
import { tempDir } from '../support/tmp.js';

describe('nightshift token', () => {
  const tmp = tempDir('nightshift-token-');
  writeFileSync(
    join(tmp.path, 'nightshift.config.yaml'),
    stringify({ people: [{ name: 'alice', decides: ['*'] }] }),
  );
  const dataDir = join(tmp.path, 'data');
  const cli = (args: string[]) => runCli([...args, '--data-dir', dataDir], { cwd: tmp.path });

  it('prints a new token once and stores only its hash', async () => {
    const res = await cli(['token', 'create', '--as', 'alice', '--scope', 'decide', '--scope', 'runs:read']);
    assert.equal(res.code, 0, res.stderr);
    const secret = res.stdout.split('\n')[0]!;
    assert.match(secret, /^nst_[A-Za-z0-9_-]{43}$/);
    assert.match(res.stdout, /shown only now/);
    const list = await cli(['token', 'list', '--json']);
    const tokens = json<{ name: string; scopes: string[]; state: string }[]>(list);
    assert.deepEqual(
      tokens.map((t) => [t.name, t.scopes, t.state]),
      [['alice', ['decide', 'runs:read'], 'active']],
    );
    assert.ok(!list.stdout.includes(secret.slice(4)));
    assert.ok(
      !readFileSync(join(dataDir, 'nightshift.db')).includes(secret.slice(4)),
      'the secret is in the store',
    );
  });

  it('refuses decide for a service, an unknown person, a person as a service, and unknown scopes', async () => {
    const cases: [string[], RegExp][] = [
      [['--as', 'ci', '--service', '--scope', 'events:send,decide'], /never decide/],
      [['--as', 'bob', '--scope', 'runs:read'], /not a configured person/],
      [['--as', 'alice', '--service', '--scope', 'runs:read'], /configured person/],
      [['--as', 'alice', '--scope', '*'], /unknown scope '\*'.*no wildcard/],
      [['--as', 'alice', '--expires', 'tomorrow'], /--expires 'tomorrow'/],
      [['--as', 'alice', '--expires', '2001-01-01'], /not in the future/],
      // Was moved silently to March 2nd, and the token made.
      [['--as', 'alice', '--expires', '2999-02-30'], /--expires '2999-02-30' is not understood/],
    ];
    const before = json<unknown[]>(await cli(['token', 'list', '--json'])).length;
    for (const [args, why] of cases) {
      const res = await cli(['token', 'create', ...args]);
      assert.equal(res.code, 2, args.join(' '));
      assert.match(res.stderr, why, args.join(' '));
    }
    assert.equal(
      json<unknown[]>(await cli(['token', 'list', '--json'])).length,
      before,
      'a refused create wrote',
    );
  });

  it('a refused create or login-link in a new project writes nothing, not even a store', async () => {
    const fresh = join(tmp.path, 'fresh-data');
    const at = (args: string[]) => runCli([...args, '--data-dir', fresh], { cwd: tmp.path });
    const create = await at(['token', 'create', '--as', 'bob']);
    assert.equal(create.code, 2, create.stderr);
    assert.match(create.stderr, /bob is not a configured person.*or pass --service/);
    const service = await at(['token', 'create', '--as', 'ci', '--service', '--scope', 'decide']);
    assert.equal(service.code, 2, service.stderr);
    const link = await at(['token', 'login-link', '--as', 'bob']);
    assert.equal(link.code, 2, link.stderr);
    // login-link has no --service: its refusal does not send the user looking for one.
    assert.match(
      link.stderr,
      /bob is not a configured person \(people: in nightshift\.config\.yaml\): add them there\n/,
    );
    assert.equal(existsSync(fresh), false, 'a refused token request created the store');
  });

  it('login-link refuses a --url or NIGHTSHIFT_URL that is not an http(s) URL, and makes no token', async () => {
    // `--url ftp://x` made a token and printed `ftp://x/login/link/nsl_…`, a link no browser opens.
    const fresh = join(tmp.path, 'link-data');
    for (const [args, env, said] of [
      [['--url', 'ftp://x'], {}, /--url 'ftp:\/\/x' is not an http\(s\) URL/],
      [['--url', 'serve.example.com'], {}, /--url 'serve\.example\.com' is not an http\(s\) URL/],
      [['--url', 'https://serve.example.com/?a=1'], {}, /--url '.*' has a query or fragment/],
      // An empty query or fragment parses to '' but would still swallow the appended path.
      [['--url', 'https://serve.example.com/?'], {}, /has a query or fragment/],
      [['--url', 'https://serve.example.com#'], {}, /has a query or fragment/],
      // The query is where a token sits: not repeated.
      [
        ['--url', 'https://serve.example.com/?token=nst_secret'],
        {},
        /^(?![\s\S]*nst_secret)[\s\S]*query or fragment/,
      ],
      // Credentials would be printed in the link: refused, and not repeated.
      [
        ['--url', 'https://bob:hunter2@serve.example.com'],
        {},
        /^(?![\s\S]*hunter2)[\s\S]*carries a user name or password/,
      ],
      [
        [],
        { NIGHTSHIFT_URL: 'javascript:alert(1)' },
        /NIGHTSHIFT_URL 'javascript:alert\(1\)' is not an http\(s\) URL/,
      ],
    ] as const) {
      const res = await runCli(['token', 'login-link', '--as', 'alice', ...args, '--data-dir', fresh], {
        cwd: tmp.path,
        env,
      });
      assert.equal(res.code, 2, `${args.join(' ')}: ${res.stderr}`);
      assert.match(res.stderr, said);
      assert.equal(res.stdout, '');
    }
    assert.equal(existsSync(fresh), false, 'a refused login link created the store');
    const ok = await runCli(
      [
        'token',
        'login-link',
        '--as',
        'alice',
        '--url',
        'https://agents.example.com/',
        '--json',
        '--data-dir',
        fresh,
      ],
      { cwd: tmp.path },
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(json<{ url: string }>(ok).url, /^https:\/\/agents\.example\.com\/login\/link\/nsl_/);
  });

  it('revokes once', async () => {
    const t = json<{ id: string }>(
      await cli(['token', 'create', '--as', 'ci', '--service', '--scope', 'events:send', '--json']),
    );
    assert.equal((await cli(['token', 'revoke', t.id])).code, 0);
    const again = await cli(['token', 'revoke', t.id]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /TOKEN_NOT_FOUND.*already revoked/);
    assert.match((await cli(['token', 'revoke', 'tok_nope'])).stderr, /no token tok_nope/);
  });
});
