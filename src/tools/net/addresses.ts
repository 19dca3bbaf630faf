// Which IP addresses an agent may reach by default: public unicast only. The special ranges come from
// ipaddr.js (maintained against the IANA special-purpose registries), not from a hand-kept table:
// loopback, private, carrier-grade NAT, link-local (the cloud metadata service, 169.254.169.254),
// multicast, broadcast, test and benchmarking networks, reserved space, and the IPv6 transition ranges
// (6to4, Teredo, NAT64, IPv4-mapped) that can carry an IPv4 address inside an IPv6 one.
import ipaddr from 'ipaddr.js';

// IANA allocates global unicast IPv6 only from 2000::/3. Anything outside that ipaddr.js has no name for
// (the IPv4-compatible ::a.b.c.d form in ::/96, unassigned space) is refused as reserved.
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');

// ipaddr.js range names, in the words a refusal uses.
const DESCRIPTIONS: Record<string, string> = {
  loopback: 'loopback',
  linkLocal: 'link-local (cloud metadata lives there)',
  private: 'a private address',
  uniqueLocal: 'a private (unique local) address',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'reserved (or a test network)',
  benchmarking: 'a benchmarking network',
  '6to4': 'a 6to4 address (it tunnels to an IPv4 address)',
  teredo: 'a Teredo address (it tunnels to an IPv4 address)',
  rfc6052: 'a NAT64 address (it translates to an IPv4 address)',
  rfc6145: 'an IPv4-translated address',
};

/** Why an address is off limits, or undefined when it is a public unicast address. */
export function restrictedAddress(address: string): string | undefined {
  // isValid accepts only what the URL parser and DNS produce as addresses; `parse` alone would also take
  // the old short forms (127.1, 0x7f.0.0.1) that no resolver returns.
  if (!ipaddr.IPv4.isValidFourPartDecimal(address) && !ipaddr.IPv6.isValid(address))
    return `'${address}' is not an IP address`;
  let ip = ipaddr.parse(address);
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) reaches the IPv4 address it carries, so it is judged as that.
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress())
    ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  if (range !== 'unicast') return `${address} is ${DESCRIPTIONS[range] ?? `special-purpose (${range})`}`;
  if (ip.kind() === 'ipv6' && !ip.match(GLOBAL_UNICAST_V6))
    return `${address} is reserved (outside the global unicast space 2000::/3)`;
  return undefined;
}
