// The role's host allowlist for http.fetch: exact names, `*.example.com` subdomain wildcards, or IP
// literals. Private addresses are reachable only when the role says so for that host.
import { isIP } from 'node:net';
import type { HostRule } from '../../roles/settings.js';

export interface HostMatch {
  rule: string;
  /** The URL's host is an IP literal listed as such, or the rule says `private: true`. */
  privateAllowed: boolean;
}

function normalise(host: string): string {
  const bare = host
    .toLowerCase()
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '');
  // An IPv6 literal in the form a URL writes it: the URL's host is (`[::ffff:127.0.0.2]` becomes
  // `::ffff:7f00:2`), so a rule written another way (`::ffff:127.0.0.2`, `0:0::1`) would never match.
  if (isIP(bare) === 6) {
    try {
      return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    } catch {
      return bare;
    }
  }
  return bare;
}

export function matchHost(hosts: readonly HostRule[], rawHost: string): HostMatch | undefined {
  const host = normalise(rawHost);
  for (const rule of hosts) {
    const pattern = normalise(typeof rule === 'string' ? rule : rule.host);
    const explicitPrivate = typeof rule !== 'string' && rule.private;
    if (pattern.startsWith('*.')) {
      if (host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1)
        return { rule: pattern, privateAllowed: explicitPrivate };
    } else if (host === pattern) {
      return { rule: pattern, privateAllowed: explicitPrivate || isIP(host) !== 0 };
    }
  }
  return undefined;
}
