import { labelsUnder } from '../dns/names.js';
import { ipv6Bytes } from '../dns/writer.js';

/** What a name under our domain stands for. */
export type ZoneName =
  | { kind: 'apex' }
  /**
   * `<svc>`, or `<tag>....<tag>.<svc>`: the providers carrying every one of `tags`. Under a
   * datacenter's sub-zone (`api.west.<domain>`) `datacenter` names it: that datacenter only.
   */
  | { kind: 'service'; service: string; tags?: readonly string[]; datacenter?: string }
  /** `_<svc>._tcp` (no tags), `_<svc>._<tag>` (Consul's RFC 2782 form), `_<endpoint>._tcp.<svc>`. */
  | { kind: 'srv'; service: string; tags?: readonly string[]; endpoint?: string; datacenter?: string }
  | { kind: 'addr'; address: string }
  /** A name that only has names below it, such as `addr.<domain>`: NODATA, not NXDOMAIN (RFC 8020). */
  | { kind: 'empty' }
  | { kind: 'none' };

/**
 * The forms that name a service's providers: what the answer steps filter for. The zone adds
 * what the name alone does not say: the datacenter the client was placed in (`--client-datacenter`,
 * EDNS Client Subnet), and whether SRV records are asked for (`--srv-failover-priority`).
 */
export type ServiceForm = Extract<ZoneName, { service: string }> & { client?: string; asksSrv?: boolean };

const NONE: ZoneName = { kind: 'none' };
const EMPTY: ZoneName = { kind: 'empty' };

/**
 * Maps a lowercased query name to what it asks for; undefined when outside `domain`. The label
 * just before the domain is a datacenter's sub-zone when `datacenters` holds it: the name under
 * it is read as under the domain, and asks that datacenter only (`addr` names are not in sub-zones).
 */
export function classify(name: string, domain: string, datacenters?: ReadonlySet<string>): ZoneName | undefined {
  const labels = labelsUnder(name, domain);
  if (!labels) return undefined;
  if (labels.length === 0) return { kind: 'apex' };
  const datacenter = labels[labels.length - 1];
  if (!datacenters?.has(datacenter)) return classifyLabels(labels);
  if (labels.length === 1) return EMPTY;
  if (labels[labels.length - 2] === 'addr') return NONE;
  const form = classifyLabels(labels.slice(0, -1));
  return form.kind === 'service' || form.kind === 'srv' ? { ...form, datacenter } : form;
}

/**
 * Reads the labels under the domain from the right: the last one says which form the name is
 * (`addr`, an RFC 2782 `_proto`, or a service), and only then are the labels left of it read.
 * A sub-zone in front of the domain is peeled off the right before this.
 */
function classifyLabels(labels: readonly string[]): ZoneName {
  const last = labels[labels.length - 1];
  const rest = labels.slice(0, -1);
  if (last === 'addr') return addrName(rest);
  if (last.startsWith('_')) return rfc2782Name(rest, last.slice(1));
  return isServiceLabel(last) ? serviceName(last, rest) : NONE;
}

/** `<hex-ip>.addr`, and `addr` itself, which only has names below it. */
function addrName(rest: readonly string[]): ZoneName {
  if (rest.length === 0) return EMPTY;
  const address = rest.length === 1 ? hexToAddress(rest[0]) : undefined;
  return address ? { kind: 'addr', address } : NONE;
}

/** `_<svc>._tcp` and `_<svc>._udp`: every provider; `_<svc>._<tag>`: those carrying the tag. */
function rfc2782Name(rest: readonly string[], proto: string): ZoneName {
  if (rest.length !== 1 || !rest[0].startsWith('_') || !proto) return NONE;
  const service = rest[0].slice(1);
  if (!isServiceLabel(service)) return NONE;
  return proto === 'tcp' || proto === 'udp' ? { kind: 'srv', service } : { kind: 'srv', service, tags: [proto] };
}

/** `<svc>`, `<tag>....<tag>.<svc>`, `_<endpoint>._tcp.<svc>`, and `_tcp.<svc>` which holds the latter. */
function serviceName(service: string, rest: readonly string[]): ZoneName {
  if (rest.length === 0) return { kind: 'service', service };
  if (rest[rest.length - 1].startsWith('_')) {
    if (rest[rest.length - 1] !== '_tcp') return NONE;
    if (rest.length === 1) return EMPTY;
    const endpoint = rest[0].slice(1);
    return rest.length === 2 && rest[0].startsWith('_') && endpoint ? { kind: 'srv', service, endpoint } : NONE;
  }
  return rest.every(isServiceLabel) ? { kind: 'service', service, tags: rest } : NONE;
}

function isServiceLabel(label: string): boolean {
  return label.length > 0 && !label.startsWith('_') && !label.includes('\\');
}

/**
 * The address a reverse name stands for, as `addressToHex` writes it: `1.0.0.10.in-addr.arpa`
 * is `0a000001`, the 32 nibbles of an `ip6.arpa` name its 32 hex digits. Undefined for any other
 * name, including the names of whole reverse networks (`0.10.in-addr.arpa`).
 */
export function reverseAddress(name: string): string | undefined {
  const v4 = labelsUnder(name, 'in-addr.arpa');
  if (v4) {
    if (v4.length !== 4 || !v4.every((label) => /^(0|[1-9]\d{0,2})$/.test(label) && Number(label) < 256)) return undefined;
    return Buffer.from(v4.reverse().map(Number)).toString('hex');
  }
  const v6 = labelsUnder(name, 'ip6.arpa');
  if (!v6 || v6.length !== 32 || !v6.every((label) => /^[0-9a-f]$/.test(label))) return undefined;
  return v6.reverse().join('');
}

/** Consul's synthetic SRV target label: 8 hex digits for IPv4, 32 for IPv6. */
export function addressToHex(address: string): string {
  if (address.includes(':')) return ipv6Bytes(address).toString('hex');
  return Buffer.from(address.split('.').map(Number)).toString('hex');
}

/** The address of a `<hex-ip>` label (and of `reverseAddress`'s result); undefined when it is none. */
export function hexToAddress(hex: string): string | undefined {
  if (!/^[0-9a-f]+$/.test(hex)) return undefined;
  if (hex.length === 8) return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)).join('.');
  if (hex.length === 32) {
    const groups = [];
    for (let i = 0; i < 32; i += 4) groups.push(parseInt(hex.slice(i, i + 4), 16).toString(16));
    return groups.join(':');
  }
  return undefined;
}
