// Address classes an agent must not reach by default: loopback, private ranges, link-local (which holds
// the cloud metadata service, 169.254.169.254), carrier-grade NAT, multicast and reserved space.
import { BlockList, isIP } from 'node:net';

const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
  ['64:ff9b::', 96],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** Why an address is off limits, or undefined when it is a public address. */
export function restrictedAddress(address: string): string | undefined {
  const family = isIP(address);
  if (family === 0) return `'${address}' is not an IP address`;
  // IPv4-mapped IPv6 (::ffff:127.0.0.1) is judged as the IPv4 address it carries.
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return restrictedAddress(mapped[1]!);
  if (blocked.check(address, family === 4 ? 'ipv4' : 'ipv6')) {
    if (address.startsWith('169.254.')) return `${address} is link-local (cloud metadata lives there)`;
    if (address.startsWith('127.') || address === '::1') return `${address} is loopback`;
    return `${address} is a private or reserved address`;
  }
  return undefined;
}
