// scope.hosts as docs/tools.md describes its entries: a name (compared without case and a trailing dot),
// `*.` and a name (its subdomains, not the name itself), or an IP address (`::1` or `[::1]`); an IP
// literal listed as such, or an entry with `private: true`, may reach a restricted address.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostRule } from '../../../src/roles/settings.js';
import { matchHost } from '../../../src/tools/net/host-allowlist.js';

// [entry, the URL's host, matches, privateAllowed when it matches]
const cases: [HostRule, string, boolean, boolean?][] = [
  ['api.github.com', 'api.github.com', true, false],
  ['api.github.com', 'API.GitHub.COM', true, false],
  ['api.github.com', 'api.github.com.', true, false],
  ['API.GitHub.com.', 'api.github.com', true, false],
  ['api.github.com', 'github.com', false],
  ['api.github.com', 'x.api.github.com', false],
  ['api.github.com', 'api.github.com.evil.test', false],
  ['*.slack.com', 'hooks.slack.com', true, false],
  ['*.slack.com', 'a.b.slack.com', true, false],
  ['*.slack.com', 'HOOKS.Slack.com.', true, false],
  ['*.slack.com', 'slack.com', false],
  ['*.slack.com', 'evilslack.com', false],
  ['10.0.0.7', '10.0.0.7', true, true],
  ['10.0.0.7', '10.0.0.8', false],
  ['::1', '[::1]', true, true],
  ['[::1]', '[::1]', true, true],
  ['[::1]', '::1', true, true],
  // Before: the URL's host is written the URL's way (`new URL('http://[::ffff:127.0.0.2]/').hostname` is
  // `[::ffff:7f00:2]`), so these rules passed validate and never matched.
  ['::ffff:127.0.0.2', new URL('http://[::ffff:127.0.0.2]/').hostname, true, true],
  ['[::FFFF:127.0.0.2]', '[::ffff:7f00:2]', true, true],
  ['0:0:0:0:0:0:0:1', '[::1]', true, true],
  ['::ffff:127.0.0.2', '[::ffff:7f00:3]', false],
  [{ host: 'metrics.internal', private: true }, 'metrics.internal', true, true],
  [{ host: 'metrics.internal', private: false }, 'metrics.internal', true, false],
  [{ host: '*.internal', private: true }, 'metrics.internal', true, true],
];

describe('scope.hosts entries (http.fetch allowlist)', () => {
  for (const [entry, host, matches, privateAllowed] of cases) {
    it(`${JSON.stringify(entry)} ${matches ? 'matches' : 'does not match'} ${host}`, () => {
      const match = matchHost([entry], host);
      assert.equal(match !== undefined, matches);
      if (match) assert.equal(match.privateAllowed, privateAllowed);
    });
  }
});
