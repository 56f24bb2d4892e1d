import { labelsUnder } from '../dns/names.js';
import { ipv6Bytes } from '../dns/writer.js';

/** What a name under our domain stands for. */
export type ZoneName =
  | { kind: 'apex' }
  | { kind: 'service'; service: string; tag?: string }
  /** `_<svc>._tcp` (tag undefined), `_<svc>._<tag>` (Consul's RFC 2782 form), `_<endpoint>._tcp.<svc>`. */
  | { kind: 'srv'; service: string; tag?: string; endpoint?: string }
  | { kind: 'addr'; address: string }
  /** A name that only has names below it, such as `addr.<domain>`: NODATA, not NXDOMAIN (RFC 8020). */
  | { kind: 'empty' }
  | { kind: 'none' };

/** Maps a lowercased query name to what it asks for; undefined when outside `domain`. */
export function classify(name: string, domain: string): ZoneName | undefined {
  const labels = labelsUnder(name, domain);
  if (!labels) return undefined;
  if (labels.length === 0) return { kind: 'apex' };
  const [first, second, third] = labels;
  if (labels.length === 1) {
    if (first === 'addr') return { kind: 'empty' };
    return isServiceLabel(first) ? { kind: 'service', service: first } : { kind: 'none' };
  }
  if (labels.length === 2) {
    if (second === 'addr') {
      const address = hexToAddress(first);
      return address ? { kind: 'addr', address } : { kind: 'none' };
    }
    if (first.startsWith('_') && second.startsWith('_')) {
      const service = first.slice(1);
      const proto = second.slice(1);
      if (!isServiceLabel(service) || !proto) return { kind: 'none' };
      return proto === 'tcp' || proto === 'udp' ? { kind: 'srv', service } : { kind: 'srv', service, tag: proto };
    }
    if (second.startsWith('_') || !isServiceLabel(second)) return { kind: 'none' };
    // `_tcp.<svc>` holds the `_<endpoint>._tcp.<svc>` names; any other `_x.<svc>` holds nothing.
    if (first.startsWith('_')) return first === '_tcp' ? { kind: 'empty' } : { kind: 'none' };
    return { kind: 'service', service: second, tag: first };
  }
  if (labels.length === 3 && first.startsWith('_') && second === '_tcp' && isServiceLabel(third)) {
    return { kind: 'srv', service: third, endpoint: first.slice(1) };
  }
  return { kind: 'none' };
}

function isServiceLabel(label: string): boolean {
  return label.length > 0 && !label.startsWith('_') && !label.includes('\\');
}

/** Consul's synthetic SRV target label: 8 hex digits for IPv4, 32 for IPv6. */
export function addressToHex(address: string): string {
  if (address.includes(':')) return ipv6Bytes(address).toString('hex');
  return Buffer.from(address.split('.').map(Number)).toString('hex');
}

function hexToAddress(hex: string): string | undefined {
  if (!/^[0-9a-f]+$/.test(hex)) return undefined;
  if (hex.length === 8) return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  if (hex.length === 32) {
    const groups = [];
    for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16).toString(16));
    return groups.join(':');
  }
  return undefined;
}
