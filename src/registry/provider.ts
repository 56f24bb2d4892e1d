import { flat } from '../util/flat-string.js';

/** One provider of a service, as a source decodes it: the neutral record the zone answers from. */
export interface SourceProvider {
  /** IPv4 or IPv6 address, or a hostname (lowercased, no trailing dot). */
  host: string;
  /**
   * A dual-stack provider's address of the other IP family than `host` (Consul's `lan_ipv4` beside
   * `lan_ipv6`): answered in the service's A or AAAA records beside `host`. The SRV target stays `host`.
   */
  otherFamilyAddress?: string;
  port: number;
  priority: number;
  weight: number;
  tags: readonly string[];
  /** A named extra endpoint (ServerSet additionalEndpoints): answered only as `_<endpoint>._tcp.<svc>`. */
  endpoint?: string;
  /** Caps the answer TTL (SkyDNS `ttl`). */
  ttl?: number;
  /** Where it came from, for operators: e.g. `zookeeper:/api/providers/10.0.0.1:80`. */
  origin: string;
}

/** A provider as the registry holds it: stamped with the source instance it came from. */
export interface Provider extends SourceProvider {
  /** The source instance's name (`zk-east`; the kind's name for a flag's instance). */
  source: string;
  /** The source instance's datacenter label, when it has one. */
  datacenter?: string;
  /**
   * Set by the bridge's own health check (src/health/) on a copy of a provider that failed it
   * `fall` times in a row: why it is left out of answers. Sources never set it.
   */
  unhealthy?: string;
}

/** The tags of a provider without any: one shared array, not one per provider. */
export const NO_TAGS: readonly string[] = Object.freeze([]);

/**
 * Every source builds its providers here. The object has the registry's fields in place
 * (`source`, `datacenter`, empty until the registry stamps them on the object itself), all in one
 * order: every provider has one shape, and the registry keeps the source's object instead of a
 * stamped copy (about 100 bytes a provider, 10 MiB at 10,000 services of 10).
 */
export function newProvider(host: string, port: number, priority: number, weight: number, tags: readonly string[], origin: string, ttl?: number): SourceProvider {
  const provider: Provider = { host, otherFamilyAddress: undefined, port, priority, weight, tags, endpoint: undefined, ttl, origin: flat(origin), source: '', datacenter: undefined };
  return provider;
}

/** True when two providers would be answered and shown alike. */
export function sameProvider(a: SourceProvider, b: SourceProvider): boolean {
  return (
    a.host === b.host &&
    a.otherFamilyAddress === b.otherFamilyAddress &&
    a.port === b.port &&
    a.priority === b.priority &&
    a.weight === b.weight &&
    a.endpoint === b.endpoint &&
    a.ttl === b.ttl &&
    a.origin === b.origin &&
    a.tags.length === b.tags.length &&
    a.tags.every((tag, i) => tag === b.tags[i])
  );
}

/** SRV defaults: priority 10 as CoreDNS's etcd plugin, weight 1 as Consul. */
export const DEFAULT_PRIORITY = 10;
export const DEFAULT_WEIGHT = 1;
