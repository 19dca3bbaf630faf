// The address classes http.fetch refuses by default, range by range: every special-purpose block (and
// the IPv6 forms that carry an IPv4 address) is refused; public unicast addresses pass.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { restrictedAddress } from '../../../src/tools/net/addresses.js';

// [address, what it is, words the refusal must contain]
const refused: [string, string, string][] = [
  ['0.0.0.0', 'this network (0/8)', 'unspecified'],
  ['0.1.2.3', 'this network (0/8)', 'unspecified'],
  ['10.0.0.5', 'private 10/8', 'private'],
  ['100.64.0.1', 'carrier-grade NAT 100.64/10', 'carrier-grade NAT'],
  ['127.0.0.1', 'loopback', 'loopback'],
  ['127.255.255.254', 'loopback 127/8', 'loopback'],
  ['169.254.169.254', 'link-local, cloud metadata', 'link-local'],
  ['172.16.0.1', 'private 172.16/12', 'private'],
  ['172.31.255.255', 'private 172.16/12', 'private'],
  ['192.0.0.8', 'IETF protocol assignments 192.0.0/24', 'reserved'],
  ['192.0.2.1', 'TEST-NET-1', 'reserved'],
  ['192.88.99.1', '6to4 relay anycast', 'reserved'],
  ['192.168.1.1', 'private 192.168/16', 'private'],
  ['198.18.0.1', 'benchmarking 198.18/15', 'reserved'],
  ['198.19.255.1', 'benchmarking 198.18/15', 'reserved'],
  ['198.51.100.7', 'TEST-NET-2', 'reserved'],
  ['203.0.113.9', 'TEST-NET-3', 'reserved'],
  ['224.0.0.1', 'multicast', 'multicast'],
  ['239.255.255.250', 'multicast (SSDP)', 'multicast'],
  ['240.0.0.1', 'reserved 240/4', 'reserved'],
  ['255.255.255.255', 'limited broadcast', 'broadcast'],
  ['::', 'unspecified', 'unspecified'],
  ['::1', 'loopback', 'loopback'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback', 'loopback'],
  ['::ffff:169.254.169.254', 'IPv4-mapped metadata', 'link-local'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex form', 'loopback'],
  // ipaddr.js reads the dotted IPv4-compatible form as the IPv4 address it carries.
  ['::127.0.0.1', 'IPv4-compatible (deprecated ::/96), dotted form', 'loopback'],
  ['::7f00:1', 'IPv4-compatible (deprecated ::/96)', 'reserved'],
  ['::a9fe:a9fe', 'IPv4-compatible metadata, hex form', 'reserved'],
  ['::ffff:0:7f00:1', 'IPv4-translated (RFC 6145)', 'IPv4-translated'],
  ['64:ff9b::7f00:1', 'NAT64 well-known prefix 64:ff9b::/96', 'NAT64'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 to the metadata service', 'NAT64'],
  ['64:ff9b:1::1', 'NAT64 local-use 64:ff9b:1::/48', 'NAT64'],
  ['2002:7f00:1::', '6to4 of 127.0.0.1', '6to4'],
  ['2002:a9fe:a9fe::1', '6to4 of the metadata service', '6to4'],
  ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'Teredo (client 127.0.0.1)', 'Teredo'],
  ['2001:2::1', 'benchmarking 2001:2::/48', 'benchmarking'],
  ['2001:db8::1', 'documentation 2001:db8::/32', 'reserved'],
  ['3fff::1', 'documentation 3fff::/20', 'reserved'],
  ['100::1', 'discard-only 100::/64', 'discard'],
  ['fc00::1', 'unique local fc00::/7', 'unique local'],
  ['fd00:ec2::254', 'unique local (AWS metadata over IPv6)', 'unique local'],
  ['fe80::1', 'link-local', 'link-local'],
  ['fec0::1', 'site-local (deprecated)', 'deprecatedSiteLocal'],
  ['ff02::1', 'multicast', 'multicast'],
  ['4000::1', 'unallocated (outside 2000::/3)', 'outside the global unicast space'],
  ['not-an-ip', 'a name, not an address', 'not an IP address'],
  ['127.1', 'a short IPv4 form no resolver returns', 'not an IP address'],
];

const allowed: [string, string][] = [
  ['8.8.8.8', 'public IPv4'],
  ['1.1.1.1', 'public IPv4'],
  ['93.184.216.34', 'public IPv4'],
  ['172.32.0.1', 'just above 172.16/12'],
  ['100.128.0.1', 'just above 100.64/10'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public address'],
  ['2606:4700:4700::1111', 'public IPv6'],
  ['2a00:1450:4001:80b::200e', 'public IPv6'],
];

describe('restricted addresses', () => {
  for (const [address, what, words] of refused) {
    it(`refuses ${address} (${what})`, () => {
      const why = restrictedAddress(address);
      assert.ok(why, `${address} should be refused`);
      assert.match(why, new RegExp(words.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), why);
    });
  }
  for (const [address, what] of allowed) {
    it(`allows ${address} (${what})`, () => {
      assert.equal(restrictedAddress(address), undefined);
    });
  }
});
