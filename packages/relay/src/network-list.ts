/**
 * Client networks as CIDR lists (IPv4 and IPv6) on Node's `BlockList`: parsed once, checked per
 * connection. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports)
 * is checked as the IPv4 address it is.
 */
import { BlockList, isIP } from 'node:net';

export interface NetworkList {
  /** True when `address` lies in one of the networks. */
  contains(address: string | undefined): boolean;
  /** The networks as given. */
  readonly networks: readonly string[];
}

/** One CIDR entry parsed, or why it is not one. */
export type ParsedNetwork =
  | { readonly address: string; readonly prefix: number; readonly family: 'ipv4' | 'ipv6' }
  | { readonly problem: string };

const MAPPED_V4 = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** `192.168.10.0/24`, `2001:db8::/64`, or a bare address (one host). A /0 prefix is refused. */
export function parseNetwork(text: string): ParsedNetwork {
  const [address = '', prefixText, ...rest] = text.trim().split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0)
    return { problem: 'an IPv4 or IPv6 address with an optional /prefix' };
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) {
    return { problem: `a prefix length 1-${max} after the /` };
  }
  const prefix = Number(prefixText);
  if (prefix === 0) {
    return { problem: 'a prefix longer than /0 (the whole internet is not a trusted network)' };
  }
  return { address, prefix, family };
}

/** A list of networks already checked with {@link parseNetwork}. */
export function createNetworkList(networks: readonly string[]): NetworkList {
  const list = new BlockList();
  for (const text of networks) {
    const parsed = parseNetwork(text);
    if ('problem' in parsed) throw new TypeError(`not a network: ${text}`);
    list.addSubnet(parsed.address, parsed.prefix, parsed.family);
  }
  return {
    networks: [...networks],
    contains(address) {
      if (address === undefined) return false;
      const mapped = MAPPED_V4.exec(address)?.[1];
      const plain = mapped ?? address;
      const version = isIP(plain);
      if (version === 0) return false;
      return list.check(plain, version === 4 ? 'ipv4' : 'ipv6');
    },
  };
}

/** True for an address only this machine can reach: 127.0.0.0/8, ::1 (or `localhost`). */
export function isLoopbackHost(host: string): boolean {
  if (host === 'localhost') return true;
  const plain = MAPPED_V4.exec(host)?.[1] ?? host;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}
