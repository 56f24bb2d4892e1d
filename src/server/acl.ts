import { BlockList, isIP } from 'node:net';

/** Parses `CIDR` or a bare address; a string is the error. */
export function parseCidr(text: string): { address: string; prefix: number; family: 'ipv4' | 'ipv6' } | string {
  const [address, prefixText, extra] = text.split('/');
  const family = isIP(address);
  if (!family || extra !== undefined) return `"${text}" is not an address or CIDR`;
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d+$/.test(prefixText ?? String(max)) || prefix > max) return `"${text}" has prefix length "${prefixText}", not 0-${max}`;
  return { address, prefix, family: family === 4 ? 'ipv4' : 'ipv6' };
}

/** Which clients may query. Decisions are memoised per address: the check sits on the hot path. */
export class ClientAcl {
  private readonly list = new BlockList();
  private readonly decided = new Map<string, boolean>();

  constructor(cidrs: readonly string[]) {
    for (const cidr of cidrs) {
      const parsed = parseCidr(cidr);
      if (typeof parsed === 'string') throw new Error(parsed);
      this.list.addSubnet(parsed.address, parsed.prefix, parsed.family);
    }
  }

  allows(address: string): boolean {
    let allowed = this.decided.get(address);
    if (allowed === undefined) {
      allowed = this.check(address);
      if (this.decided.size > 10_000) this.decided.clear();
      this.decided.set(address, allowed);
    }
    return allowed;
  }

  private check(address: string): boolean {
    return inList(this.list, address);
  }
}

/** True when `list` holds `address`; an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`) counts as its IPv4 address. */
export function inList(list: BlockList, address: string): boolean {
  const mapped = address.startsWith('::ffff:') && isIP(address.slice(7)) === 4;
  if (mapped) return list.check(address.slice(7), 'ipv4');
  return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}
