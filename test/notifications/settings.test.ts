// The notifications and people settings in nightshift.config.yaml, and decision links: what is accepted,
// and what is refused with a clear error before anything is sent.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { loadProjectConfig } from '../../src/config/project.js';
import {
  signDecisionLink,
  spentLinkKey,
  verifyDecisionLink,
} from '../../src/notifications/decision-links.js';
import { runCli } from '../support/cli.js';
import { writeTestRole } from '../support/roles.js';
import { tempDir } from '../support/tmp.js';

function load(doc: unknown) {
  const tmp = tempDir('nightshift-notify-config-');
  try {
    writeFileSync(join(tmp.path, 'nightshift.config.yaml'), stringify(doc));
    return loadProjectConfig(tmp.path);
  } finally {
    tmp.cleanup();
  }
}

describe('notifications settings', () => {
  it('reads people and notifications, secrets by name only, the secrets file relative to the config', () => {
    const c = load({
      people: [{ name: 'alice', slack: 'U1', email: 'a@example.test', decides: ['billing'] }],
      notifications: {
        publicUrl: 'https://nightshift.example.test',
        secretsFile: 'notify.env',
        slack: { token: 'SLACK_TOKEN', signingSecret: 'SLACK_SIGNING_SECRET', channel: 'C1' },
        email: { host: 'smtp.example.test', from: 'n@example.test', linkSecret: 'LINK_SECRET' },
      },
    });
    assert.equal(c.people!.people[0]!.slack, 'U1');
    assert.equal(c.notifications!.slack!.apiUrl, 'https://slack.com/api');
    assert.equal(c.notifications!.email!.linkTtlMinutes, 1440);
    assert.ok(
      c.notifications!.secretsFile!.endsWith('/notify.env') && c.notifications!.secretsFile !== 'notify.env',
    );
  });

  for (const [what, doc, pattern] of [
    [
      'a secret written as a value',
      { notifications: { slack: { token: 'xoxb-1-2', signingSecret: 'S' } } },
      /token/,
    ],
    [
      'Slack with neither token nor webhook',
      { notifications: { slack: { signingSecret: 'S' } } },
      /token .* or webhook/,
    ],
    ['Slack without a signing secret', { notifications: { slack: { token: 'T' } } }, /signingSecret/],
    ['email without a link secret', { notifications: { email: { host: 'h', from: 'a@b' } } }, /linkSecret/],
    ['two people with one name', { people: [{ name: 'a' }, { name: 'a' }] }, /listed twice/],
    // Links would point nowhere: said at load, not by mail rows that wait in the outbox for ever.
    [
      'email without publicUrl',
      { notifications: { email: { host: 'h', from: 'a@b', linkSecret: 'L' } } },
      /notifications\.email needs notifications\.publicUrl/,
    ],
    // `javascript:`'s origin is `null`, what a cross-site form posts: the confirm page would take it.
    [
      'a publicUrl that is not http(s)',
      { notifications: { publicUrl: 'javascript:alert(1)' } },
      /publicUrl: expected an http or https URL/,
    ],
    [
      'a publicUrl with a query or fragment (the link token would land in it)',
      { notifications: { publicUrl: 'https://ns.example.test/?a=1' } },
      /publicUrl: no query or fragment/,
    ],
    [
      'a Slack apiUrl that is not http(s)',
      { notifications: { slack: { token: 'T', signingSecret: 'S', apiUrl: 'file:///etc/passwd' } } },
      /apiUrl: expected an http or https URL/,
    ],
    [
      "a person's webhook that is not http(s)",
      { people: [{ name: 'a', webhook: 'ftp://hooks.example.test/a' }] },
      /people\[0\]\.webhook: expected an http or https URL/,
    ],
  ] as const) {
    it(`refuses ${what} (CONFIG_INVALID)`, () => {
      assert.throws(
        () => load(doc),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'CONFIG_INVALID');
          assert.match(err.message, pattern);
          return true;
        },
      );
    });
  }
});

describe('a secret written where its name goes', () => {
  // The docs' own example of the mistake (`token: xoxb-…`): the value is most likely the real secret, so
  // the error names the key and its line but never repeats the value (it reaches stderr and CI logs).
  const VALUE = 'xoxb-1234-live-bot-token-abcd';

  it('is refused in nightshift.config.yaml without repeating the value', () => {
    for (const notifications of [
      { slack: { token: VALUE, signingSecret: 'S' } },
      { email: { host: 'h', from: 'a@b', password: VALUE, linkSecret: 'L' } },
    ])
      assert.throws(
        () => load({ notifications }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'CONFIG_INVALID');
          assert.match(
            err.message,
            /nightshift\.config\.yaml:\d+ notifications\.(slack\.token|email\.password)/,
          );
          assert.match(err.message, /not repeated here/);
          assert.ok(!err.message.includes(VALUE), err.message);
          return true;
        },
      );
  });

  it('is refused in a role file by validate without repeating the value', async () => {
    const role = writeTestRole({ autonomy: 'full', turns: [{ final: {} }] });
    try {
      const text = readFileSync(role.file, 'utf8');
      writeFileSync(
        role.file,
        `${text}notify:\n  webhooks: { pager: { url: https://pager.example.test/hook, secret: ${VALUE} } }\n`,
      );
      const res = await runCli(['validate', role.file], { cwd: role.dir });
      assert.equal(res.code, 2);
      const said = res.stdout + res.stderr;
      assert.match(said, /notify\.webhooks\.pager\.secret/);
      assert.ok(!said.includes(VALUE), said);
    } finally {
      role.cleanup();
    }
  });
});

describe('decision links', () => {
  const secret = 's'.repeat(40);
  const link = {
    kind: 'approval' as const,
    id: 'apr_1',
    action: 'approve' as const,
    person: 'alice',
    expiresAt: 2_000,
  };

  it('round-trips, and each link is different (a random nonce) with a different spent key', () => {
    const a = signDecisionLink(link, secret);
    const b = signDecisionLink(link, secret);
    assert.notEqual(a, b);
    assert.notEqual(spentLinkKey(a), spentLinkKey(b));
    assert.doesNotMatch(spentLinkKey(a), new RegExp(a.slice(0, 20)), 'only a hash of the token is kept');
    assert.deepEqual(verifyDecisionLink(a, secret, 1_000), { ...link, hash: undefined });
  });

  it('refuses a changed payload, another key, an expired link and a short secret', () => {
    const token = signDecisionLink(link, secret);
    const [payload, mac] = token.split('.') as [string, string];
    const changed = Buffer.from(
      Buffer.from(payload, 'base64url').toString('utf8').replace('"alice"', '"bob"'),
    ).toString('base64url');
    assert.throws(() => verifyDecisionLink(`${changed}.${mac}`, secret, 1_000), /not valid/);
    assert.throws(() => verifyDecisionLink(token, 't'.repeat(40), 1_000), /not valid/);
    assert.throws(() => verifyDecisionLink(token, secret, 2_001), /expired/);
    assert.throws(() => signDecisionLink(link, 'short'), /at least 32/);
  });
});
