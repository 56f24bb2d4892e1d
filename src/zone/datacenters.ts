import { BlockList } from 'node:net';
import { inList } from '../server/acl.js';

/** `--client-datacenter CIDR=NAME`: clients in the network are answered from `datacenter` first. */
export interface ClientDatacenter {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  datacenter: string;
}

/** What the zone knows of datacenters; every name lowercased. */
export interface DatacenterOptions {
  /** `--datacenter`: where this bridge is. Undefined: every datacenter's providers are answered together. */
  local?: string;
  /** `--failover`: the datacenters answered, in this order, when the local one has no healthy provider. */
  failover: readonly string[];
  /** Every configured datacenter, sorted: `--datacenter`, `--failover` and the sources' labels. Each is a sub-zone. */
  names: readonly string[];
  /** `--srv-failover-priority`: SRV answers carry the failover datacenters at priority + N per step; 0 = off. */
  srvFailoverPriority: number;
}

export const NO_DATACENTERS: DatacenterOptions = { failover: [], names: [], srvFailoverPriority: 0 };

/** The datacenter options of a configuration. */
export function datacenterOptions(config: {
  datacenter?: string;
  failover: readonly string[];
  'srv-failover-priority': number;
  sources: readonly { datacenter?: string }[];
}): DatacenterOptions {
  const labels = config.sources.flatMap((source) => (source.datacenter === undefined ? [] : [source.datacenter.toLowerCase()]));
  const names = [...new Set([...(config.datacenter === undefined ? [] : [config.datacenter]), ...config.failover, ...labels])].sort();
  const options = { failover: config.failover, names, srvFailoverPriority: config['srv-failover-priority'] };
  return config.datacenter === undefined ? options : { local: config.datacenter, ...options };
}

/** The datacenter a provider counts in: its source's label, or the bridge's own when its source has none. */
export function datacenterOf(provider: { datacenter?: string }, local: string | undefined): string | undefined {
  return provider.datacenter === undefined ? local : provider.datacenter.toLowerCase();
}

/**
 * The datacenters `<svc>.<domain>` answers from, best first: the client's own (placed by
 * `--client-datacenter` or its ECS subnet), the bridge's, then `--failover`'s. Empty without
 * `--datacenter`: the union is answered.
 */
export function datacenterOrder(options: DatacenterOptions, client?: string): readonly string[] {
  if (options.local === undefined) return [];
  const order = [options.local, ...options.failover];
  return client === undefined || client === options.local ? order : [client, ...order.filter((dc) => dc !== client)];
}

/** Where a client was placed: its datacenter (undefined: the bridge's own) and how many bits of its address that took. */
export interface Placement {
  readonly datacenter?: string;
  readonly prefix: number;
  /** What the cache key holds of the placement: the datacenter and the network length, never the address. */
  readonly key: string;
}

/**
 * Places client addresses by `--client-datacenter`, the longest matching network first.
 * Decisions are memoised per address: placing sits on the hot path when networks are configured.
 */
export class ClientPlacement {
  private readonly networks: { list: BlockList; placement: Placement }[];
  private readonly decided = new Map<string, Placement>();
  /** A client in no listed network: the bridge's own order, decided from the whole address. */
  private readonly elsewhere: Placement = { prefix: -1, key: '-' };

  constructor(entries: readonly ClientDatacenter[]) {
    this.networks = [...entries]
      .sort((a, b) => b.prefix - a.prefix)
      .map((entry) => {
        const list = new BlockList();
        list.addSubnet(entry.address, entry.prefix, entry.family);
        return { list, placement: { datacenter: entry.datacenter, prefix: entry.prefix, key: `${entry.datacenter}/${entry.prefix}` } };
      });
  }

  /** The placement of `address`; `prefix` -1 when no network holds it. */
  place(address: string): Placement {
    let placement = this.decided.get(address);
    if (placement === undefined) {
      placement = this.match(address);
      if (this.decided.size > 10_000) this.decided.clear();
      this.decided.set(address, placement);
    }
    return placement;
  }

  private match(address: string): Placement {
    for (const network of this.networks) if (inList(network.list, address)) return network.placement;
    return this.elsewhere;
  }
}
